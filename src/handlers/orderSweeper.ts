// OrderSweeperFunction (every minute): rejects the orders that dead letters hold up, then moves on
// every open order whose time has come: it announces orders that were stored but not announced (the
// order API's outbox relay), and re-drives orders whose messages were lost.
import type { Context, ScheduledEvent } from 'aws-lambda';
import { dynamo } from '../adapters/clients/dynamo';
import { sns } from '../adapters/clients/sns';
import { sqs } from '../adapters/clients/sqs';
import { deadLetterQueue } from '../adapters/deadLetters';
import { orderEvents } from '../adapters/orderEvents';
import { orderStore } from '../adapters/orderStore';
import { shipmentQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { DeadLetterSource } from '../domain/sweep';
import { orderMetrics, publishingMetrics } from '../metrics';
import { logger } from '../observability';
import { rejectDeadLettered, sweepDueOrders, type DeadLetterSourceQueue } from '../usecases/sweepOrders';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const events = orderEvents(sns, requiredEnv('ORDER_TOPIC_ARN'));
const shipments = shipmentQueue(sqs, requiredEnv('SHIP_ORDER_QUEUE_URL'));
const deadlineSeconds = Number(requiredEnv('ORDER_DEADLINE_SECONDS'));
/** Every dead letter was delivered this often (the queues' maxReceiveCount) before it was set aside. */
const deliveries = Number(requiredEnv('MAX_RECEIVE_COUNT'));

// Named in orders' logs as the template names them, which is how the docs and the console find them.
const deadLetterQueues: DeadLetterSourceQueue[] = [
  { source: DeadLetterSource.CreditCheck, name: 'BalanceCheckerDeadLetterQueue', ...deadLetterQueue(sqs, requiredEnv('BALANCE_CHECKER_DEAD_LETTER_QUEUE_URL')) },
  { source: DeadLetterSource.StockCheck, name: 'StockCheckerDeadLetterQueue', ...deadLetterQueue(sqs, requiredEnv('STOCK_CHECKER_DEAD_LETTER_QUEUE_URL')) },
  { source: DeadLetterSource.CheckResult, name: 'OrderUpdateDeadLetterQueue', ...deadLetterQueue(sqs, requiredEnv('ORDER_UPDATE_DEAD_LETTER_QUEUE_URL')) },
  { source: DeadLetterSource.Shipment, name: 'ShipOrderDeadLetterQueue', ...deadLetterQueue(sqs, requiredEnv('SHIP_ORDER_DEAD_LETTER_QUEUE_URL')) },
];

/** Kept back from the timeout: no order is started after it, and the next run carries on. */
const STOP_MARGIN_MS = 2000;

export interface SweepSummary {
  rejectedForDeadLetters: number;
  announced: number;
  markedReadyToShip: number;
  shippingRequested: number;
  leftIndex: number;
  failed: number;
  unfinished: boolean;
}

export const handler = publishingMetrics(async (_event: ScheduledEvent | Record<string, never>, context: Context): Promise<SweepSummary> => {
  logger.addContext(context);
  const stopBy = Date.now() + context.getRemainingTimeInMillis() - STOP_MARGIN_MS;

  // The two passes fail independently (a dead-letter queue that cannot be read must not stop the
  // relay, nor the reverse), one after the other: the relay does not move on what dead letters reject.
  const [deadPass] = await Promise.allSettled([rejectDeadLettered(deadLetterQueues, orders, { deliveries })]);
  const [duePass] = await Promise.allSettled([sweepDueOrders({ ...orders, ...shipments, announceOrders: events.announceOrders }, { now: new Date(), deadlineSeconds, stopBy })]);
  const dead = deadPass.status === 'fulfilled' ? deadPass.value : { rejected: [], namingNoOrder: [], overtaken: 0 };
  const sweep = duePass.status === 'fulfilled' ? duePass.value : { moved: [], failed: [], unfinished: false };
  if (deadPass.status === 'rejected') logger.error('the dead-letter pass failed; the relay ran all the same', { error: deadPass.reason as Error });
  if (duePass.status === 'rejected') logger.error('the relay pass failed; the dead-letter pass ran all the same', { error: duePass.reason as Error });

  for (const { orderId, messageId, queue, createdAt } of dead.rejected) {
    logger.warn('order rejected: one of its messages was dead-lettered', { orderId, messageId, queue });
    orderMetrics.rejected('dead-lettered', { createdAt });
  }
  if (dead.namingNoOrder.length > 0) logger.warn('dead letters that name no order, left alone', { deadLetters: dead.namingNoOrder });
  for (const { orderId, effect } of sweep.moved) logger.info('open order moved on', { orderId, effect });
  for (const { orderId, error } of sweep.failed) logger.error('open order could not be moved on; the next run tries again', { orderId, error: error as Error });
  if (sweep.unfinished) logger.warn('the sweep ran out of time; the next run carries on');
  orderMetrics.swept({
    movedOn: sweep.moved.map(({ effect }) => effect),
    notMovedOn: sweep.failed.length,
    outOfTime: sweep.unfinished,
    deadLettersSeen: dead.rejected.length + dead.namingNoOrder.length + dead.overtaken,
    deadLettersNamingNoOrder: dead.namingNoOrder.length,
  });
  // Failed after both passes ran, so that the function's error metric (and its alarm) sees it.
  const failures = [deadPass, duePass].flatMap((pass) => (pass.status === 'rejected' ? [pass.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'both sweeper passes failed');

  const count = (effect: string) => sweep.moved.filter((moved) => moved.effect === effect).length;
  return {
    rejectedForDeadLetters: dead.rejected.length,
    announced: count('announced'),
    markedReadyToShip: count('marked-ready-to-ship'),
    shippingRequested: count('shipping-requested'),
    leftIndex: count('left-index'),
    failed: sweep.failed.length,
    unfinished: sweep.unfinished,
  };
});
