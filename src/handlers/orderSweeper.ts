// OrderSweeperFunction (every minute): rejects orders whose checks never finished and asks again
// for shipments that never happened, so no accepted order stays open forever.
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { orderStore } from '../adapters/orderStore';
import { shipmentQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { logger } from '../observability';
import { sweepOverdueOrders } from '../usecases/sweepOverdueOrders';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const shipments = shipmentQueue(sqs, requiredEnv('SHIP_ORDER_QUEUE_URL'));
const deadlineSeconds = Number(requiredEnv('ORDER_DEADLINE_SECONDS'));

export const handler = async (): Promise<{ rejected: number; shippingRequested: number }> => {
  const report = await sweepOverdueOrders({ ...orders, ...shipments }, new Date(), deadlineSeconds);
  for (const orderId of report.rejected) logger.warn('overdue order rejected', { orderId });
  for (const orderId of report.shippingRequested) logger.warn('shipment requested again for an overdue order', { orderId });
  return { rejected: report.rejected.length, shippingRequested: report.shippingRequested.length };
};
