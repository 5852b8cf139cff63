// Placing an order request as the order API takes it: by when it must be answered, and once per
// Idempotency-Key. Powertools keeps the first answer and refuses the key with another body or while
// a first attempt runs (409); the placement needs it for nothing else: the orders' ids come from the
// key and their write is conditional, so when the idempotency store itself fails, the placement
// stands alone. docs/guarantees.md#accepted-once walks through every way an attempt can end.
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { Order } from '../domain/order';
import { orderIdsFor } from '../domain/orderId';
import { toOrderRequests, type OrderRequestBody } from '../domain/orderRequest';
import { orderMetrics } from '../metrics';
import { logger } from '../observability';
import { OrdersNotStoredError, placeOrders, type OrderPlacementPorts } from './placeOrders';

/** API Gateway stops waiting 29 s after it received the request, whatever the function's own timeout. */
const API_GATEWAY_TIMEOUT_MS = 29_000;
/** Kept back from the time left for the answer itself to get out. */
const REPLY_MARGIN_MS = 1000;
/** No invocation lasts longer (Lambda's longest Timeout): a request received longer ago is an event replayed from a file (sam local invoke, tests), not a live one. */
const LONGEST_INVOCATION_MS = 15 * 60_000;

/**
 * When the answer must leave (epoch milliseconds): before the function's own timeout, and before
 * API Gateway gives up, counted from when API Gateway received the request. The invocation may
 * start well after that (a cold start, or, locally, a wait for a free execution environment): work
 * done once API Gateway has answered 504 is work the client was never told of.
 */
export function answerBy(receivedAt: number | undefined, { now, remainingMs }: { now: number; remainingMs: number }): number {
  const live = receivedAt !== undefined && now - receivedAt < LONGEST_INVOCATION_MS;
  const gatewayGivesUp = (live ? Math.min(receivedAt, now) : now) + API_GATEWAY_TIMEOUT_MS;
  return Math.min(now + remainingMs, gatewayGivesUp) - REPLY_MARGIN_MS;
}

export type Route = 'placeOrder' | 'placeOrders';
const fieldPrefix = (route: Route) => (route === 'placeOrders' ? (index: number) => `orders[${index}].` : () => '');

export interface PlacementRequest {
  /** The caller's API key id: Idempotency-Keys are the caller's own. */
  caller: string | null;
  route: Route;
  key?: string;
  body: OrderRequestBody[];
  /** When API Gateway received it (epoch milliseconds); not part of the idempotency key. */
  receivedAt?: number;
}

export interface PlaceOnceOptions<View> {
  ports: Omit<OrderPlacementPorts, 'now' | 'orderId'>;
  /** Where Powertools keeps each key's first answer. */
  idempotencyStore: BasePersistenceLayer;
  /** OrderDeadlineSeconds. */
  deadlineSeconds: number;
  /** How an order is answered (what the idempotency record keeps). */
  view(order: Order): View;
}

/** What the placement under Powertools did: it ran, and how it ended. */
interface Attempt<View> {
  ran: boolean;
  result?: View[];
  failure?: unknown;
}

/** The same Idempotency-Key with the same body (per caller and route) returns the first answer for 24 hours. */
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: '[caller, route, key]', payloadValidationJmesPath: 'body', expiresAfterSeconds: 24 * 60 * 60 });

/** Places order requests once per Idempotency-Key: `place` answers the request's orders as views, in request order, or throws what the API answers. */
export function placeOnce<View>({ ports, idempotencyStore, deadlineSeconds, view }: PlaceOnceOptions<View>) {
  async function place(request: PlacementRequest, context: Context): Promise<View[]> {
    const requests = toOrderRequests(request.body, fieldPrefix(request.route));
    const scope = request.key === undefined ? undefined : { caller: request.caller, route: request.route, key: request.key };
    const replyBy = answerBy(request.receivedAt, { now: Date.now(), remainingMs: context.getRemainingTimeInMillis() });
    try {
      const placement = await placeOrders(requests, { ...ports, now: () => new Date(), orderId: orderIdsFor(scope) }, { deadlineSeconds, replyBy });
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
      return placement.orders.map(view);
    } catch (error) {
      if (error instanceof OrdersNotStoredError && error.mayBeStored) {
        // The one case where the 503 may be wrong: an operator can find these ids and cancel them.
        logger.error('orders may have been stored although the request is answered 503', { orderIds: error.orderIds, error });
      }
      throw error;
    }
  }

  const placeOnce = makeIdempotent(
    async (request: PlacementRequest, context: Context, attempt: Attempt<View>): Promise<View[]> => {
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
    { persistenceStore: idempotencyStore, config: idempotency, keyPrefix: 'order-api.placeOrders' },
  );

  /** Under Powertools with a key; on its own when the idempotency store fails (the orders' ids make it safe). */
  async function placeWithKey(request: PlacementRequest, context: Context): Promise<View[]> {
    const attempt: Attempt<View> = { ran: false };
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

  return {
    place: (request: PlacementRequest, context: Context): Promise<View[]> => (request.key ? placeWithKey(request, context) : place(request, context)),
  };
}
