// OrderApiFunction: POST /order, POST /orders, GET /order/{orderId}, GET /order/{orderId}/status.
import { randomUUID } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Order } from '../domain/order';
import { toOrderRequests, type OrderRequestBody } from '../domain/orderRequest';
import { centsToNumber } from '../domain/money';
import { dynamo } from '../adapters/clients/dynamo';
import { sns } from '../adapters/clients/sns';
import { orderEvents } from '../adapters/orderEvents';
import { orderStore } from '../adapters/orderStore';
import { requiredEnv } from '../config';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { notFound } from '../http/errors';
import { location } from '../http/location';
import { logger } from '../observability';
import { placeOrders } from '../usecases/placeOrders';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const events = orderEvents(sns, requiredEnv('ORDER_TOPIC_ARN'));
const idempotencyStore = new DynamoDBPersistenceLayer({ tableName: requiredEnv('IDEMPOTENCY_TABLE_NAME') });

const orderView = (order: Order) => ({
  orderId: order.orderId,
  customerId: order.customerId,
  items: order.items,
  totalAmount: centsToNumber(order.totalCents),
  status: order.status,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  logs: order.logs,
});

type OrderView = ReturnType<typeof orderView>;

async function place(bodies: OrderRequestBody[], pathOf: (index: number) => string): Promise<OrderView[]> {
  const requests = toOrderRequests(bodies, pathOf);
  const placed = await placeOrders(requests, {
    newOrderId: randomUUID,
    now: () => new Date().toISOString(),
    saveOrders: orders.saveOrders,
    announceOrders: events.announceOrders,
    discardOrders: orders.discardOrders,
  });
  for (const order of placed) logger.info('order placed', { orderId: order.orderId, customerId: order.customerId });
  return placed.map(orderView);
}

type Route = 'placeOrder' | 'placeOrders';
const fieldPrefix = (route: Route) => (route === 'placeOrders' ? (index: number) => `orders[${index}].` : () => '');

/** The same Idempotency-Key with the same body (per route) returns the first answer for 24 hours. */
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: '[route, key]', payloadValidationJmesPath: 'body', expiresAfterSeconds: 24 * 60 * 60 });
const placeOnce = makeIdempotent((request: { route: Route; key: string; body: OrderRequestBody[] }) => place(request.body, fieldPrefix(request.route)), {
  persistenceStore: idempotencyStore,
  config: idempotency,
});

function placeFrom(request: ApiRequest, route: Route, bodies: OrderRequestBody[]): Promise<OrderView[]> {
  const key = request.headers['idempotency-key'];
  if (!key) return place(bodies, fieldPrefix(route));
  idempotency.registerLambdaContext(request.context);
  return placeOnce({ route, key, body: bodies });
}

export const handler = apiHandler(
  {
    async placeOrder(request: ApiRequest<OrderRequestBody>) {
      const [order] = await placeFrom(request, 'placeOrder', [request.body]);
      return { statusCode: 202, body: order, headers: { Location: location(request, `/order/${order?.orderId}/status`) } };
    },
    async placeOrders(request: ApiRequest<{ orders: OrderRequestBody[] }>) {
      return { statusCode: 202, body: { orders: await placeFrom(request, 'placeOrders', request.body.orders) } };
    },
    async getOrder(request) {
      const order = await orders.getOrder(request.pathParameters.orderId ?? '');
      if (!order) throw notFound('The order');
      return { statusCode: 200, body: orderView(order) };
    },
    async getOrderStatus(request) {
      const order = await orders.getOrder(request.pathParameters.orderId ?? '');
      if (!order) throw notFound('The order');
      return { statusCode: 200, body: { orderId: order.orderId, status: order.status, logs: order.logs } };
    },
  },
  logger,
);
