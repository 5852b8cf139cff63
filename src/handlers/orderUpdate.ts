// OrderUpdateFunction: check results from OrderUpdateQueue -> order status; requests shipping once.
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { orderStore } from '../adapters/orderStore';
import { shipmentQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseCheckResult } from '../domain/messages';
import type { BusinessReason } from '../domain/order';
import { orderMetrics } from '../metrics';
import { logger } from '../observability';
import { sqsConsumer } from '../sqs/consumer';
import { applyCheckResults } from '../usecases/applyCheckResults';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const shipments = shipmentQueue(sqs, requiredEnv('SHIP_ORDER_QUEUE_URL'));

export const handler = sqsConsumer(parseCheckResult, async (results) => {
  const report = await applyCheckResults(results, { ...orders, ...shipments });
  for (const { order, result } of report.rejected) {
    // A failed result always names its reason (parseCheckResult refuses one that does not).
    const reason = result.reason as BusinessReason;
    logger.info('order rejected', { orderId: order.orderId, reason });
    orderMetrics.rejected(reason, order);
  }
  return report.outcomes;
});
