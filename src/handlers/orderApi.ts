// OrderApiFunction: POST /order, POST /orders, GET /order/{orderId}, GET /order/{orderId}/status.
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import type { Order } from '../domain/order';
import { orderIdsFor } from '../domain/orderId';
import { toOrderRequests, type OrderRequestBody } from '../domain/orderRequest';
import { centsToNumber } from '../domain/money';
import { dynamo, dynamoDbClient } from '../adapters/clients/dynamo';
import { sns } from '../adapters/clients/sns';
import { idempotencyStore } from '../adapters/idempotencyStore';
import { orderEvents } from '../adapters/orderEvents';
import { orderStore } from '../adapters/orderStore';
import { requiredEnv } from '../config';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { notFound } from '../http/errors';
import { location } from '../http/location';
import { orderMetrics } from '../metrics';
import { logger } from '../observability';
import { OrdersNotStoredError, placeOrders } from '../usecases/placeOrders';

const orders = orderStore(dynamo, requiredEnv('ORDER_TABLE_NAME'));
const events = orderEvents(sns, requiredEnv('ORDER_TOPIC_ARN'));
const deadlineSeconds = Number(requiredEnv('ORDER_DEADLINE_SECONDS'));
// The container's one DynamoDB client: Powertools would otherwise build (and configure, and sign with) a second.
const idempotencyRecords = idempotencyStore(dynamoDbClient, requiredEnv('IDEMPOTENCY_TABLE_NAME'));

/** API Gateway stops waiting 29 s after it received the request, whatever the function's own timeout. */
const API_GATEWAY_TIMEOUT_MS = 29_000;
/** Kept back from the time left for the answer itself to get out. */
const REPLY_MARGIN_MS = 1000;
/** No invocation lasts longer (Lambda's longest Timeout): a request received longer ago is an event replayed from a file (sam local invoke, tests), not a live one. */
const LONGEST_INVOCATION_MS = 15 * 60_000;

/**
 * When the answer must leave: before the function's own timeout, and before API Gateway gives up,
 * counted from when API Gateway received the request. The invocation may start well after that
 * (a cold start, or, locally, a wait for a free execution environment): work done once API Gateway
 * has answered 504 is work the client was never told of.
 */
function answerBy(receivedAt: number | undefined, context: Context): number {
  const now = Date.now();
  const live = receivedAt !== undefined && now - receivedAt < LONGEST_INVOCATION_MS;
  const gatewayGivesUp = (live ? Math.min(receivedAt, now) : now) + API_GATEWAY_TIMEOUT_MS;
  return Math.min(now + context.getRemainingTimeInMillis(), gatewayGivesUp) - REPLY_MARGIN_MS;
}

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

type Route = 'placeOrder' | 'placeOrders';
const fieldPrefix = (route: Route) => (route === 'placeOrders' ? (index: number) => `orders[${index}].` : () => '');

interface PlacementRequest {
  /** The caller's API key id: Idempotency-Keys are the caller's own. */
  caller: string | null;
  route: Route;
  key?: string;
  body: OrderRequestBody[];
  /** When API Gateway received it (epoch milliseconds); not part of the idempotency key. */
  receivedAt?: number;
}

async function place(request: PlacementRequest, context: Context): Promise<OrderView[]> {
  const requests = toOrderRequests(request.body, fieldPrefix(request.route));
  const scope = request.key === undefined ? undefined : { caller: request.caller, route: request.route, key: request.key };
  const replyBy = answerBy(request.receivedAt, context);
  try {
    const placement = await placeOrders(
      requests,
      {
        now: () => new Date(),
        orderId: orderIdsFor(scope),
        storeNewOrders: orders.storeNewOrders,
        withdrawOrders: orders.withdrawOrders,
        markAnswered: orders.markAnswered,
        announceOrders: events.announceOrders,
        sweepSoon: orders.sweepSoon,
      },
      { deadlineSeconds, replyBy },
    );
    for (const order of placement.orders) logger.info(placement.replayed ? 'order placed earlier by the same request' : 'order placed', { orderId: order.orderId, customerId: order.customerId });
    orderMetrics.placed(placement.orders.length, { replayed: placement.replayed });
    orderMetrics.unannounced(placement.unannounced.length);
    if (placement.unannounced.length > 0) {
      logger.warn('orders stored but not announced; the sweeper will announce them', {
        orderIds: placement.unannounced.map((order) => order.orderId),
        error: placement.announceFailure as Error,
        sweepSoonFailed: placement.sweepSoonFailure !== undefined,
      });
    }
    return placement.orders.map(orderView);
  } catch (error) {
    if (error instanceof OrdersNotStoredError && error.mayBeStored) {
      // The one case where the 503 may be wrong: an operator can find these ids and cancel them.
      logger.error('orders may have been stored although the request is answered 503', { orderIds: error.orderIds, error });
    }
    throw error;
  }
}

/** What the placement under Powertools did: it ran, and how it ended. */
interface Attempt {
  ran: boolean;
  result?: OrderView[];
  failure?: unknown;
}

/** The same Idempotency-Key with the same body (per caller and route) returns the first answer for 24 hours. */
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: '[caller, route, key]', payloadValidationJmesPath: 'body', expiresAfterSeconds: 24 * 60 * 60 });
const placeOnce = makeIdempotent(
  async (request: PlacementRequest, context: Context, attempt: Attempt): Promise<OrderView[]> => {
    attempt.ran = true;
    try {
      attempt.result = await place(request, context);
      return attempt.result;
    } catch (error) {
      attempt.failure = error;
      throw error;
    }
  },
  // A prefix of its own, so that records outlive a change of the function's generated name.
  { persistenceStore: idempotencyRecords, config: idempotency, keyPrefix: 'order-api.placeOrders' },
);

/**
 * Powertools keeps the first answer and refuses the key with another body or while a first attempt
 * runs (409). The placement needs it for nothing else: the orders' ids come from the key and their
 * write is conditional, so when the idempotency store itself fails, the placement stands alone.
 */
async function placeWithKey(request: PlacementRequest, context: Context): Promise<OrderView[]> {
  const attempt: Attempt = { ran: false };
  try {
    const placed = await placeOnce(request, context, attempt);
    // Powertools answered from the request's idempotency record: the first answer, again.
    if (!attempt.ran) orderMetrics.placed(placed.length, { replayed: true });
    return placed;
  } catch (error) {
    if (attempt.result) {
      logger.warn('orders placed, but their idempotency record could not be saved; a retry finds them by their ids', { error: error as Error });
      return attempt.result;
    }
    if (attempt.ran) throw attempt.failure;
    if (error instanceof IdempotencyValidationError || error instanceof IdempotencyAlreadyInProgressError) throw error;
    logger.warn('the idempotency store failed; placing the orders without it', { error: error as Error });
    return place(request, context);
  }
}

function placeFrom(request: ApiRequest, route: Route, body: OrderRequestBody[]): Promise<OrderView[]> {
  const key = request.headers['idempotency-key'];
  const placement: PlacementRequest = { caller: request.apiKeyId, route, body, ...(request.receivedAt === undefined ? {} : { receivedAt: request.receivedAt }) };
  return key ? placeWithKey({ ...placement, key }, request.context) : place(placement, request.context);
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
