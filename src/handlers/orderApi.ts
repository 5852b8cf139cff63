// OrderApiFunction: POST /order, POST /orders, GET /order/{orderId}, GET /order/{orderId}/status.
import { dynamo, dynamoDbClient } from '../adapters/clients/dynamo';
import { sns } from '../adapters/clients/sns';
import { idempotencyStore } from '../adapters/idempotencyStore';
import { orderEvents } from '../adapters/orderEvents';
import { orderStore } from '../adapters/orderStore';
import { requiredEnv } from '../config';
import type { OrderRequestBody } from '../domain/orderRequest';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { notFound } from '../http/errors';
import { location } from '../http/location';
import { orderView } from '../http/orderView';
import { logger } from '../observability';
import { placeOnce, type Route } from '../usecases/placeOnce';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const events = orderEvents(sns, requiredEnv('ORDER_TOPIC_ARN'));
const placement = placeOnce({
  ports: { ...orders, announceOrders: events.announceOrders },
  // The container's one DynamoDB client: Powertools would otherwise build (and configure, and sign with) a second.
  idempotencyStore: idempotencyStore(dynamoDbClient, requiredEnv('IDEMPOTENCY_TABLE_NAME')),
  deadlineSeconds: Number(requiredEnv('ORDER_DEADLINE_SECONDS')),
  view: orderView,
});

const place = (request: ApiRequest, route: Route, body: OrderRequestBody[]) =>
  placement.place({ caller: request.apiKeyId, route, body, key: request.headers['idempotency-key'], receivedAt: request.receivedAt }, request.context);

async function storedOrder(request: ApiRequest) {
  const order = await orders.getOrder(request.pathParameters.orderId ?? '');
  if (!order) throw notFound('The order');
  return order;
}

export const handler = apiHandler(
  {
    async placeOrder(request: ApiRequest<OrderRequestBody>) {
      const [order] = await place(request, 'placeOrder', [request.body]);
      return { statusCode: 202, body: order, headers: { Location: location(request, `/order/${order?.orderId}/status`) } };
    },
    async placeOrders(request: ApiRequest<{ orders: OrderRequestBody[] }>) {
      return { statusCode: 202, body: { orders: await place(request, 'placeOrders', request.body.orders) } };
    },
    async getOrder(request) {
      return { statusCode: 200, body: orderView(await storedOrder(request)) };
    },
    async getOrderStatus(request) {
      const { orderId, status, logs } = await storedOrder(request);
      return { statusCode: 200, body: { orderId, status, logs } };
    },
  },
  logger,
);
