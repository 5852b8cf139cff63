// ShipOrderFunction: shipment requests from ShipOrderQueue -> one transaction, or a rejection.
import { dynamo } from '../adapters/clients/dynamo';
import { orderStore } from '../adapters/orderStore';
import { shippingLedger } from '../adapters/shippingLedger';
import { requiredEnv } from '../config';
import { parseShipmentRequest } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { shipOrder } from '../usecases/shipOrder';

const orderTable = requiredEnv('ORDER_TABLE_NAME');
const orders = orderStore(dynamo, orderTable);
const ledger = shippingLedger(dynamo, {
  orderTable,
  accountTable: requiredEnv('ACCOUNT_TABLE_NAME'),
  stockTable: requiredEnv('STOCK_TABLE_NAME'),
});

// The shipments of a batch run one after another: they often want the same popular item, and all
// at once they would mostly cancel each other's transactions. One that still collides (with
// another batch's) keeps trying while the invocation has time, rather than going back to the queue
// (and, after MaxReceiveCount, to the dead letters).
export const handler = sqsConsumer(
  parseShipmentRequest,
  async ({ orderId }, _log, { deadline }) => {
    const shipment = await shipOrder(orderId, { ...orders, ship: (order) => ledger.ship(order, { deadline, onRetry: orderMetrics.shippingTransactionRetried }) });
    if (shipment.effect === 'shipped') orderMetrics.shipped(shipment.order);
    if (shipment.effect === 'rejected') orderMetrics.rejected(shipment.reason, shipment.order);
    return shipment.effect;
  },
  { oneAtATime: true },
);
