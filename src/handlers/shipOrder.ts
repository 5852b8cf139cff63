// ShipOrderFunction: shipment requests from ShipOrderQueue -> one transaction, or a rejection.
import { dynamo } from '../adapters/clients/dynamo';
import { orderStore } from '../adapters/orderStore';
import { shippingLedger } from '../adapters/shippingLedger';
import { requiredEnv } from '../config';
import { parseShipmentRequest } from '../domain/messages';
import { sqsConsumer } from '../sqs/consumer';
import { shipOrder } from '../usecases/shipOrder';

const orderTable = requiredEnv('ORDER_TABLE_NAME');
const orders = orderStore(dynamo, orderTable);
const ledger = shippingLedger(dynamo, {
  orderTable,
  accountTable: requiredEnv('ACCOUNT_TABLE_NAME'),
  stockTable: requiredEnv('STOCK_TABLE_NAME'),
});

export const handler = sqsConsumer(parseShipmentRequest, ({ orderId }) => shipOrder(orderId, { ...orders, ...ledger }));
