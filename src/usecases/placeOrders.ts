// Accepting orders exactly once. The commit point of a request is the one conditional write that
// stores all of its orders. A failure before or at it answers "not stored" and leaves nothing
// behind, unless what holds the ids are this request's orders from an earlier attempt: those are
// answered as a replay, once marked so that their own attempt can no longer withdraw them. After the
// commit the request is answered as accepted whatever else fails, and an order that could not be
// announced in time is announced by the sweeper instead. docs/guarantees.md#accepted-once walks through every way
// an attempt can end.
import { awaitsBothChecks, newOrder, samePlacement, type Order, type OrderRequest } from '../domain/order';
import { firstSweepAt } from '../domain/sweep';

/** Where storing a request's orders left them. */
export type StoreOutcome =
  | { stored: true }
  /** Some ids were taken: what was found under each (undefined where nothing was). */
  | { stored: false; found: (Order | undefined)[] };

/** Where withdrawing a request's orders left them: fenced, or (nothing withdrawn) what holds each id (undefined: no order). */
export type WithdrawOutcome = { withdrawn: true } | { withdrawn: false; found: (Order | undefined)[] };

/** What an announcement achieved: the orders it could not announce (none when all went out), and why. */
export interface Announcement {
  unannounced: Order[];
  failure?: unknown;
}

interface By {
  /** Epoch milliseconds by which the call must be over. */
  deadline: number;
}

export interface OrderPlacementPorts {
  now(): Date;
  /** The id of the request's `index`-th order. */
  orderId(index: number): string;
  /** The commit point: stores all the orders or none, each only where its id is free. */
  storeNewOrders(orders: Order[], sweepAt: string, options: By): Promise<StoreOutcome>;
  /** Removes whichever of these orders this attempt stored, as long as nothing has happened to them and no other attempt answered them. */
  withdrawOrders(orders: Order[], options: By): Promise<WithdrawOutcome>;
  /** Puts orders found from an earlier attempt beyond its withdrawal, before answering them; false when it withdrew them first. */
  markAnswered(orders: Order[], options: By): Promise<boolean>;
  announceOrders(orders: Order[], options: By): Promise<Announcement>;
  /** Has the sweeper announce these orders at its next run. */
  sweepSoon(orderIds: string[], options: By): Promise<void>;
}

export interface PlacementOptions {
  /** OrderDeadlineSeconds: when the sweeper first looks at an order that is still open. */
  deadlineSeconds: number;
  /** Epoch milliseconds by which the caller must have its answer. */
  replyBy: number;
}

export interface Placement {
  /** The orders as first placed, in request order. */
  orders: Order[];
  /** An earlier attempt of the same request had stored them (same Idempotency-Key and body). */
  replayed: boolean;
  /** Orders not announced now: the sweeper announces them. */
  unannounced: Order[];
  announceFailure?: unknown;
  /** Why the sweeper could not be asked to hurry: it finds them at their first sweep time all the same. */
  sweepSoonFailure?: unknown;
}

/** Nothing was stored, or what may have been is withdrawn: none of the orders will be processed. */
export class OrdersNotStoredError extends Error {
  constructor(
    readonly orderIds: string[],
    /** The write's outcome is unknown and withdrawing it failed too: the orders may exist and would ship. */
    readonly mayBeStored: boolean,
    options: ErrorOptions,
  ) {
    super(mayBeStored ? 'The orders may have been stored, and could not be withdrawn' : 'The orders were not stored', options);
  }
}

/** The Idempotency-Key's orders exist and are not the ones this body asks for. */
export class IdempotencyKeyReusedError extends Error {}

/** At most this long for announcing; past it, the sweeper announces the rest. */
const ANNOUNCE_BUDGET_MS = 3000;
/** Kept back from the time to answer for withdrawing (before the commit) or handing over to the sweeper (after it). */
const RESERVE_MS = 2000;

export async function placeOrders(requests: OrderRequest[], ports: OrderPlacementPorts, { deadlineSeconds, replyBy }: PlacementOptions): Promise<Placement> {
  const reserve = Math.min(RESERVE_MS, Math.max(0, replyBy - Date.now()) / 3);
  const createdAt = ports.now().toISOString();
  const orders = requests.map((request, index) => newOrder(request, ports.orderId(index), createdAt));
  // No time left: whoever would read the answer has given up, so nothing may be stored.
  if (replyBy <= Date.now()) throw new OrdersNotStoredError(orderIdsOf(orders), false, { cause: new Error('the answer was due before the orders could be stored') });

  const earlier = await commit(requests, orders, ports, { sweepAt: firstSweepAt(createdAt, deadlineSeconds), replyBy, reserve });
  // Committed: from here on the request is answered as accepted.
  const placed = earlier ? earlier.map((order, index) => newOrder(requests[index] as OrderRequest, order.orderId, order.createdAt)) : orders;
  // A replayed order that no check has reached may never have been announced: announcing it again is harmless.
  const toAnnounce = earlier ? placed.filter((_, index) => awaitsBothChecks(earlier[index] as Order)) : orders;

  const { unannounced, failure } = await ports.announceOrders(toAnnounce, { deadline: Math.min(Date.now() + ANNOUNCE_BUDGET_MS, replyBy - reserve / 2) });
  const placement: Placement = { orders: placed, replayed: earlier !== undefined, unannounced, ...(failure === undefined ? {} : { announceFailure: failure }) };
  if (unannounced.length > 0) {
    try {
      await ports.sweepSoon(orderIdsOf(unannounced), { deadline: replyBy });
    } catch (error) {
      placement.sweepSoonFailure = error;
    }
  }
  return placement;
}

interface CommitOptions {
  sweepAt: string;
  replyBy: number;
  reserve: number;
}

/**
 * The commit point: stores the orders (undefined), or finds the orders an earlier attempt of this
 * very request stored (returned, to be answered as a replay), or throws. Orders found are marked
 * answered before they are answered, so that their own attempt, which may still be withdrawing
 * them, cannot take back what this one answers 202 for.
 */
async function commit(requests: OrderRequest[], orders: Order[], ports: OrderPlacementPorts, { sweepAt, replyBy, reserve }: CommitOptions): Promise<Order[] | undefined> {
  let outcome: StoreOutcome;
  try {
    outcome = await ports.storeNewOrders(orders, sweepAt, { deadline: replyBy - reserve });
  } catch (error) {
    // Refused, or no answer at all: the write may have landed. Nothing announced these orders, so
    // they are untouched and taking them back is safe.
    return takeBack(requests, orders, ports, replyBy, error);
  }
  if (outcome.stored) return undefined;
  const earlier = earlierAttempt(requests, outcome.found);
  if (!earlier) throw new IdempotencyKeyReusedError('The orders of this Idempotency-Key exist for another request body');
  if (await markAnswered(orders, earlier, ports, replyBy - reserve)) return earlier;
  // Withdrawn meanwhile by their own attempt. An SDK retry of this attempt's own put could still
  // land on that attempt's fences, so the ids are fenced again as this attempt's before answering.
  return takeBack(requests, orders, ports, replyBy, new Error('the earlier attempt withdrew its orders as they were found'), true);
}

/** After a write whose outcome is unknown: fences the ids (throws "not stored"), or answers the request's orders that hold them. */
async function takeBack(requests: OrderRequest[], orders: Order[], ports: OrderPlacementPorts, replyBy: number, cause: unknown, again = false): Promise<Order[]> {
  let left: WithdrawOutcome;
  try {
    left = await ports.withdrawOrders(orders, { deadline: replyBy });
  } catch (withdrawError) {
    throw new OrdersNotStoredError(orderIdsOf(orders), true, { cause: new AggregateError([cause, withdrawError]) });
  }
  if (left.withdrawn) throw new OrdersNotStoredError(orderIdsOf(orders), false, { cause });
  // The ids are held. By another body's orders: this write cannot have landed, the key is reused.
  if (left.found.some((order, index) => order !== undefined && !samePlacement(order, requests[index] as OrderRequest))) {
    throw new IdempotencyKeyReusedError('The orders of this Idempotency-Key exist for another request body');
  }
  // By this request's orders (an earlier attempt's, or this one's that something has reached since): they will be processed, so they are answered.
  const earlier = earlierAttempt(requests, left.found);
  if (!earlier) throw new OrdersNotStoredError(orderIdsOf(orders), true, { cause });
  if (await markAnswered(orders, earlier, ports, replyBy)) return earlier;
  // Their own attempt withdrew them first: fence the ids again, as this attempt's, so that its own write cannot land on that attempt's fences.
  if (again) throw new OrdersNotStoredError(orderIdsOf(orders), true, { cause });
  return takeBack(requests, orders, ports, replyBy, cause, true);
}

/** Marks the orders found answered; false when they were withdrawn first; a failure to mark says they may be stored. */
async function markAnswered(orders: Order[], found: Order[], ports: OrderPlacementPorts, deadline: number): Promise<boolean> {
  try {
    return await ports.markAnswered(found, { deadline });
  } catch (error) {
    throw new OrdersNotStoredError(orderIdsOf(orders), true, { cause: error });
  }
}

/** The orders an earlier attempt of this very request stored: every id taken, each by the order this request asks for; undefined otherwise. */
function earlierAttempt(requests: OrderRequest[], found: (Order | undefined)[]): Order[] | undefined {
  const same = found.length === requests.length && found.every((order, index) => order !== undefined && samePlacement(order, requests[index] as OrderRequest));
  return same ? (found as Order[]) : undefined;
}

const orderIdsOf = (orders: Order[]) => orders.map((order) => order.orderId);
