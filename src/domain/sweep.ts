// What the sweeper does with an order that is still open when it looks (docs/sweeper.md).
import { createHash } from 'node:crypto';
import { Check, checkAttribute, FINAL_STATUSES, OrderStatus, type OrderProgress } from './order';

/**
 * Open orders are spread over this many partitions of the sweep index. The index is written at
 * least twice per order (when it is stored and when it becomes final; more when the sweeper moves
 * it on) and DynamoDB takes at most 1,000 writes a second per partition, so N shards carry up to
 * 500·N orders a second (32,000 for 64; the benchmark's AWS-scale model counts what each order
 * really writes, where DynamoDB Local reports a transaction's index removal as 2 units) before any
 * partition of the index throttles; the sweeper reads them all with N queries a minute. Changing N
 * moves orders between shards: the sweeper must then read both ranges until old orders are final.
 */
export const SWEEP_SHARDS = 64;

/** The longest wait between two looks at an order, unless the deadline itself is longer. */
export const MAX_SWEEP_INTERVAL_SECONDS = 60 * 60;

/** The index partition of an order: a stable spread of its id over the shards, '0' to 'N-1'. */
export function sweepShardOf(orderId: string): string {
  return String(createHash('sha256').update(orderId).digest().readUInt32BE(0) % SWEEP_SHARDS);
}

export const allSweepShards = (): string[] => Array.from({ length: SWEEP_SHARDS }, (_, shard) => String(shard));

/** When the sweeper first looks at a new order that is still open. */
export function firstSweepAt(createdAt: string, deadlineSeconds: number): string {
  return new Date(Date.parse(createdAt) + deadlineSeconds * 1000).toISOString();
}

/**
 * When the sweeper looks again after it moved an order on for the (nudges + 1)-th time: the
 * deadline, then twice that, four times... up to an hour, so a backlog that outlasts the deadline is
 * announced again a few times, not once a minute.
 */
export function nextSweepAt(now: Date, deadlineSeconds: number, nudges: number): string {
  const seconds = Math.max(deadlineSeconds, Math.min(deadlineSeconds * 2 ** nudges, MAX_SWEEP_INTERVAL_SECONDS));
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

export type SweepAction =
  /** Both checks passed but the step after them was lost: mark it READY_TO_SHIP and request shipping. */
  | { kind: 'mark-ready-to-ship' }
  /** A check result is missing: the announcement, or a message after it, was lost. Announcing again is harmless. */
  | { kind: 'announce' }
  /** The shipment request (or its outcome) was lost; shipping is idempotent. */
  | { kind: 'request-shipping' }
  /** A final order still in the index (its final write failed to remove it): only leave the index. */
  | { kind: 'leave-index' }
  | { kind: 'none' };

export function sweepAction(order: OrderProgress, sweepAt: string | undefined, now: Date): SweepAction {
  if (sweepAt === undefined) return { kind: 'none' };
  if (FINAL_STATUSES.includes(order.status)) return { kind: 'leave-index' };
  if (Date.parse(sweepAt) > now.getTime()) return { kind: 'none' };
  if (order.status === OrderStatus.ReadyToShip) return { kind: 'request-shipping' };
  return order.creditCheck === 'PASSED' && order.stockCheck === 'PASSED' ? { kind: 'mark-ready-to-ship' } : { kind: 'announce' };
}

// ------------------------------------------------------------------ dead letters

/** What a dead-letter queue holds: the messages of one step of the pipeline. */
export const DeadLetterSource = {
  CreditCheck: 'credit-check',
  StockCheck: 'stock-check',
  CheckResult: 'check-result',
  Shipment: 'shipment',
} as const;
export type DeadLetterSource = (typeof DeadLetterSource)[keyof typeof DeadLetterSource];

/** The order a dead letter is about, and where its message left it. */
export interface DeadLetterSubject {
  orderId: string;
  /** The status the order keeps while this message is missing. */
  status: OrderStatus;
  /** The check whose result this message was to bring (none for a shipment request). */
  check?: Check;
}

/** Reads which order a dead letter is about; undefined when it names none (malformed, or not ours). */
export function deadLetterSubject(source: DeadLetterSource, body: string): DeadLetterSubject | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { orderId, check } = message as Record<string, unknown>;
  if (typeof orderId !== 'string' || orderId === '') return undefined;
  switch (source) {
    case DeadLetterSource.CreditCheck:
      return { orderId, status: OrderStatus.Pending, check: Check.Credit };
    case DeadLetterSource.StockCheck:
      return { orderId, status: OrderStatus.Pending, check: Check.Stock };
    case DeadLetterSource.CheckResult:
      return check === Check.Credit || check === Check.Stock ? { orderId, status: OrderStatus.Pending, check } : undefined;
    case DeadLetterSource.Shipment:
      return { orderId, status: OrderStatus.ReadyToShip };
  }
}

/** Whether the order is still where the dead letter left it, so that the lost message is why it cannot go on. */
export function isHeldUpBy(subject: DeadLetterSubject, order: OrderProgress): boolean {
  return order.status === subject.status && (subject.check === undefined || order[checkAttribute(subject.check)] === undefined);
}

const checkName = (check: Check | undefined) => (check === Check.Stock ? 'stock' : 'credit');

/** The line a rejection for a dead letter appends to the order's log: what failed, how often, and where the message is. */
export function deadLetterRejectionLog(source: DeadLetterSource, subject: DeadLetterSubject, deliveries: number, queueName: string): string {
  const where = `its message was dead-lettered (${queueName})`;
  switch (source) {
    case DeadLetterSource.CreditCheck:
    case DeadLetterSource.StockCheck:
      return `Rejected: its ${checkName(subject.check)} check failed ${deliveries} times and ${where}`;
    case DeadLetterSource.CheckResult:
      return `Rejected: its ${checkName(subject.check)} check result could not be recorded in ${deliveries} attempts and ${where}`;
    case DeadLetterSource.Shipment:
      return `Rejected at shipping: its shipment failed ${deliveries} times and ${where}`;
  }
}
