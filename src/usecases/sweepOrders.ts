// The sweeper's two passes: dead letters, then the relay and re-drive (docs/sweeper.md explains both).
import { type Order, OrderStatus } from '../domain/order';
import {
  allSweepShards,
  deadLetterRejectionLog,
  deadLetterSubject,
  isHeldUpBy,
  nextSweepAt,
  sweepAction,
  type DeadLetterSource,
  type DeadLetterSubject,
} from '../domain/sweep';
import type { Announcement } from './placeOrders';

// ------------------------------------------------------------------ dead letters

/** Dead letters read per queue and sweep: a bigger backlog is worked through over several sweeps. */
export const DEAD_LETTERS_PER_SWEEP = 100;

export interface DeadLetter {
  messageId: string;
  body: string;
}

export interface DeadLetterSourceQueue {
  source: DeadLetterSource;
  /** How the order's log names the queue. */
  name: string;
  /** Up to `limit` of its messages, left in the queue. */
  peek(limit: number): Promise<DeadLetter[]>;
}

export interface DeadLetterPorts {
  /** Orders by id: undefined where there is none; throws for an id that could not be read. */
  getOrders(orderIds: string[]): Promise<Pick<ReadonlyMap<string, Order>, 'get'>>;
  /** Rejects the order if it is still where the message left it; false otherwise. */
  rejectForDeadLetter(subject: DeadLetterSubject, logLine: string): Promise<boolean>;
}

export interface DeadLetterReport {
  /** With each order's createdAt, which times its rejection. */
  rejected: { orderId: string; messageId: string; queue: string; createdAt: string }[];
  /** Dead letters that name no order (malformed, or an id no order has): left alone. */
  namingNoOrder: { messageId: string; queue: string }[];
  /** Dead letters whose order has moved on since (redriven, announced again, or final). */
  overtaken: number;
}

/**
 * Reads every dead-letter queue (without consuming it) and rejects each order still held up by one
 * of its messages. The orders are read first, so re-reading the same dead letters every minute costs
 * reads, and writes happen only for orders that are rejected.
 */
export async function rejectDeadLettered(queues: DeadLetterSourceQueue[], ports: DeadLetterPorts, { deliveries }: { deliveries: number }): Promise<DeadLetterReport> {
  const report: DeadLetterReport = { rejected: [], namingNoOrder: [], overtaken: 0 };
  const read = await Promise.all(
    queues.map(async (queue) =>
      (await queue.peek(DEAD_LETTERS_PER_SWEEP)).map((letter) => ({ queue, letter, subject: deadLetterSubject(queue.source, letter.body) })),
    ),
  );
  const letters = read.flat();
  const orders = await ports.getOrders([...new Set(letters.flatMap(({ subject }) => (subject ? [subject.orderId] : [])))]);
  const rejected = new Set<string>();
  for (const { queue, letter, subject } of letters) {
    const order = subject && readable(orders, subject.orderId);
    if (!subject || !order) {
      report.namingNoOrder.push({ messageId: letter.messageId, queue: queue.name });
    } else if (rejected.has(subject.orderId) || !isHeldUpBy(subject, order)) {
      report.overtaken++;
    } else if (await ports.rejectForDeadLetter(subject, deadLetterRejectionLog(queue.source, subject, deliveries, queue.name))) {
      rejected.add(subject.orderId);
      report.rejected.push({ orderId: subject.orderId, messageId: letter.messageId, queue: queue.name, createdAt: order.createdAt });
    } else {
      report.overtaken++;
    }
  }
  return report;
}

/** A dead letter's order; none when no order can be read under its id (no order can have it, or its item is no order), which leaves the letter alone. */
function readable(orders: Pick<ReadonlyMap<string, Order>, 'get'>, orderId: string): Order | undefined {
  try {
    return orders.get(orderId);
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ open orders whose time has come

/** An open order as the sweeper reads it. */
export interface SweptOrder {
  order: Order;
  sweepAt?: string;
  /** How often the sweeper has moved it on so far. */
  nudges: number;
}

export interface DueOrderPorts {
  /** Ids of open orders with sweepAt <= now in one shard of the sweep index, page by page. */
  dueOrders(shard: string, now: string): AsyncIterable<string>;
  getForSweep(orderId: string): Promise<SweptOrder | undefined>;
  markReadyToShip(orderId: string): Promise<boolean>;
  /** For each order, undefined once its shipment was requested, or why it could not be. */
  requestShipping(orders: Order[]): Promise<(Error | undefined)[]>;
  announceOrders(orders: Order[]): Promise<Announcement>;
  /** Sets the next look, if the order is still as it was seen; false otherwise. */
  postponeSweep(orderId: string, seen: { status: OrderStatus; sweepAt: string }, next: { sweepAt: string; nudges: number }): Promise<boolean>;
  leaveSweepIndex(orderId: string, status: OrderStatus): Promise<boolean>;
}

export type SweepEffect = 'announced' | 'marked-ready-to-ship' | 'shipping-requested' | 'left-index';

export interface SweepReport {
  moved: { orderId: string; effect: SweepEffect }[];
  /** Orders that could not be moved on now (e.g. SNS failing): still due, so the next run tries again. */
  failed: { orderId: string; error: unknown }[];
  /** The run stopped before it had seen every due order (its time was up): the next run carries on. */
  unfinished: boolean;
}

export interface SweepOptions {
  now: Date;
  /** OrderDeadlineSeconds: the first interval of the backoff. */
  deadlineSeconds: number;
  /** Epoch milliseconds after which no further order is started. */
  stopBy: number;
}

/** Moves on every open order whose time has come, each shard of the index in parallel. */
export async function sweepDueOrders(ports: DueOrderPorts, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { moved: [], failed: [], unfinished: false };
  const shards = await Promise.allSettled(
    allSweepShards().map(async (shard) => {
      for await (const orderId of ports.dueOrders(shard, options.now.toISOString())) {
        if (Date.now() >= options.stopBy) {
          report.unfinished = true;
          return;
        }
        try {
          const effect = await moveOn(orderId, ports, options);
          if (effect) report.moved.push({ orderId, effect });
        } catch (error) {
          report.failed.push({ orderId, error });
        }
      }
    }),
  );
  const unread = shards.flatMap((shard) => (shard.status === 'rejected' ? [shard.reason as unknown] : []));
  // A shard that could not be read fails the run (the next one tries again); the others were swept.
  if (unread.length > 0) throw new AggregateError(unread, `${unread.length} of ${shards.length} sweep index shards could not be read`);
  return report;
}

async function requestShipping(order: Order, ports: DueOrderPorts): Promise<void> {
  const [unsent] = await ports.requestShipping([order]);
  if (unsent) throw unsent;
}

async function moveOn(orderId: string, ports: DueOrderPorts, { now, deadlineSeconds }: SweepOptions): Promise<SweepEffect | undefined> {
  const found = await ports.getForSweep(orderId);
  if (!found) return undefined;
  const { order, sweepAt, nudges } = found;
  const action = sweepAction(order, sweepAt, now);
  let effect: SweepEffect;
  let status: OrderStatus;
  switch (action.kind) {
    case 'none':
      return undefined;
    case 'leave-index':
      return (await ports.leaveSweepIndex(orderId, order.status)) ? 'left-index' : undefined;
    case 'announce': {
      const { unannounced, failure } = await ports.announceOrders([order]);
      if (unannounced.length > 0) throw failure ?? new Error('the order could not be announced');
      [effect, status] = ['announced', OrderStatus.Pending];
      break;
    }
    case 'mark-ready-to-ship':
      if (!(await ports.markReadyToShip(orderId))) return undefined;
      await requestShipping(order, ports);
      [effect, status] = ['marked-ready-to-ship', OrderStatus.ReadyToShip];
      break;
    case 'request-shipping':
      await requestShipping(order, ports);
      [effect, status] = ['shipping-requested', OrderStatus.ReadyToShip];
      break;
  }
  // Moved on after the action, so that a run that stops in between repeats the action (harmless) rather than skipping it.
  await ports.postponeSweep(orderId, { status, sweepAt: sweepAt as string }, { sweepAt: nextSweepAt(now, deadlineSeconds, nudges), nudges: nudges + 1 });
  return effect;
}
