// OrderUpdateFunction: check results from OrderUpdateQueue -> order status; triggers shipping once.
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { orderStore } from '../adapters/orderStore';
import { shipmentQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseCheckResult } from '../domain/messages';
import { orderMetrics, REASON_NOT_CARRIED } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { applyCheckResult } from '../usecases/applyCheckResult';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const shipments = shipmentQueue(sqs, requiredEnv('SHIP_ORDER_QUEUE_URL'));

export const handler = sqsConsumer(parseCheckResult, async (result) => {
  const outcome = await applyCheckResult(result, { ...orders, ...shipments });
  if (outcome.effect === 'rejected') orderMetrics.rejected(result.reason ?? REASON_NOT_CARRIED, outcome.order);
  return outcome.effect;
});
