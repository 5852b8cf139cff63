// OrderSweeperFunction, every minute: one sweep (docs/sweeper.md).
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
import { publishingMetrics } from '../metrics';
import { logger } from '../observability';
import type { DeadLetterSourceQueue } from '../usecases/sweepOrders';
import { runSweep, type SweepSummary } from '../usecases/sweepRun';

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

export const handler = publishingMetrics(async (_event: ScheduledEvent | Record<string, never>, context: Context): Promise<SweepSummary> => {
  logger.addContext(context);
  const stopBy = Date.now() + context.getRemainingTimeInMillis() - STOP_MARGIN_MS;
  return runSweep(deadLetterQueues, { ...orders, ...shipments, announceOrders: events.announceOrders }, { now: new Date(), deadlineSeconds, stopBy, deliveries });
});
