// ShipOrderFunction: shipment requests from ShipOrderQueue -> one transaction each, or a rejection.
import { dynamo } from '../adapters/clients/dynamo';
import { orderStore } from '../adapters/orderStore';
import { shippingLedger } from '../adapters/shippingLedger';
import { requiredEnv } from '../config';
import { parseShipmentRequest } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { logger } from '../observability';
import { sqsConsumer } from '../sqs/consumer';
import { shipOrders } from '../usecases/shipOrders';

const orderTable = requiredEnv('ORDER_TABLE_NAME');
const orders = orderStore(dynamo, orderTable);
const ledger = shippingLedger(dynamo, {
  orderTable,
  accountTable: requiredEnv('ACCOUNT_TABLE_NAME'),
  stockTable: requiredEnv('STOCK_TABLE_NAME'),
});

// A shipment that collides with another (another batch's, on a popular product) keeps trying while
// the invocation has time, rather than going back to the queue (and, after MaxReceiveCount, to the
// dead letters). Within a batch, shipments that share an account or product never run at once.
export const handler = sqsConsumer(parseShipmentRequest, async (requests, { deadline }) => {
  const report = await shipOrders(requests, { ...orders, ship: (order) => ledger.ship(order, { deadline, onRetry: orderMetrics.shippingTransactionRetried }) });
  for (const order of report.shipped) {
    logger.info('order shipped', { orderId: order.orderId });
    orderMetrics.shipped(order);
  }
  for (const { order, reason } of report.rejected) {
    logger.info('order rejected at shipping', { orderId: order.orderId, reason });
    orderMetrics.rejected(reason, order);
  }
  return report.outcomes;
});
