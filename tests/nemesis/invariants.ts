// What must hold at the end of every seed, checked from outside: from the answers the clients got
// and from the tables and queues as an operator reads them, never from the code's own counters.
// Each violation names its invariant and the ids that break it.
import type { Order } from '../../src/domain/order';
import type { FaultSchedule } from './faultSchedule';
import { BUSINESS_REJECTION, DEAD_LETTER_REJECTION, lastLog } from './stack';
import type { History, OrderBody, Plan, PlacementRecord } from './workload';

export interface Observed {
  /** Every order stored (withdrawn ones left out). */
  orders: Order[];
  /** Credit in cents by customerId, stock in units by productId. */
  accounts: Map<string, number>;
  stock: Map<string, number>;
  workQueueDepths: Record<string, number>;
  /** The orderIds the messages of each dead-letter queue name, by its logical id. */
  deadLetters: Record<string, string[]>;
}

export interface Violation {
  invariant: string;
  ids: string[];
  detail?: string;
}

export interface Verdict {
  violations: Violation[];
  /** Orders that shipped although their only request was answered 502/504 or timed out without a key (the contract's residual). */
  unkeyedResidual: string[];
  figures: Record<string, unknown>;
}

const FINAL = new Set(['SHIPPED', 'REJECTED']);
const cents = (amount: number) => Math.round(amount * 100);
const sameBody = (order: Order, body: OrderBody) =>
  order.customerId === body.customerId && order.totalCents === cents(body.totalAmount) && JSON.stringify(order.items) === JSON.stringify(body.items);
const tally = (values: string[]) => values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});

/** Sums that some subset of `amounts` adds up to. */
function subsetSums(amounts: number[]): Set<number> {
  let sums = new Set([0]);
  for (const amount of amounts) sums = new Set([...sums, ...[...sums].map((sum) => sum + amount)]);
  return sums;
}

/** The orderIds a placement's 202 answers gave, each answer separately. */
const acceptedAnswers = (placement: PlacementRecord) => [...placement.attempts, ...placement.repeats].filter((seen) => seen.status === 202).map((seen) => seen.orderIds ?? []);

export function judge(plan: Plan, schedule: FaultSchedule, history: History, observed: Observed): Verdict {
  const violations: Violation[] = [];
  const fail = (invariant: string, ids: string[], detail?: string) => {
    if (ids.length > 0) violations.push({ invariant, ids, ...(detail ? { detail } : {}) });
  };
  const byId = new Map(observed.orders.map((order) => [order.orderId, order]));
  const accepted = new Set(history.placements.flatMap((placement) => acceptedAnswers(placement).flat()));

  // Every accepted order exists and is final; no stored order is left open.
  fail('every order answered 202 exists', [...accepted].filter((orderId) => !byId.has(orderId)), 'missing or withdrawn');
  fail('every accepted order is final', [...accepted].filter((orderId) => byId.has(orderId) && !FINAL.has(byId.get(orderId)?.status ?? '')).map((id) => `${id} ${byId.get(id)?.status}`));
  fail('no stored order is left open', observed.orders.filter((order) => !accepted.has(order.orderId) && !FINAL.has(order.status)).map((order) => `${order.orderId} ${order.status}`));

  // Every key answered the same orders every time, and they are the orders it asked for.
  for (const placement of history.placements.filter((p) => p.plan.key)) {
    const answers = acceptedAnswers(placement).map((ids) => ids.join(','));
    fail('a key answers the same orders every time', new Set(answers).size > 1 ? [placement.plan.key as string] : [], [...new Set(answers)].join(' | '));
    fail('a keyed client is answered in the end', answers.length === 0 ? [placement.plan.key as string] : [], JSON.stringify(placement.attempts.slice(-3)));
    const ids = acceptedAnswers(placement)[0] ?? [];
    fail('an accepted order is the order asked for', ids.filter((id, index) => byId.has(id) && !sameBody(byId.get(id) as Order, placement.plan.orders[index] as OrderBody)));
  }
  const unexpected = history.placements.flatMap((placement) => [...placement.attempts, ...placement.repeats].filter((seen) => typeof seen.status === 'number' && seen.status >= 400 && seen.status < 500 && ![409, 429].includes(seen.status)));
  fail('no request of the workload is refused as invalid', unexpected.map((seen) => String(seen.status)), unexpected[0]?.message);

  // No order shipped that no client was answered 202 for, but for the unkeyed residual: 502, 504, no
  // answer, or the 503 that says the orders may or may not have been stored (docs/guarantees.md).
  const mayBeStored = (seen: { status: unknown; message?: string }) => seen.status === 503 && /may or may not have been stored/.test(seen.message ?? '');
  const unkeyedUnknown = history.placements.filter((p) => !p.plan.key && p.attempts.every((seen) => seen.status !== 202) && p.attempts.some((seen) => seen.status === 502 || seen.status === 504 || seen.status === 'timeout' || seen.status === 'network' || mayBeStored(seen)));
  const isResidual = (order: Order) => unkeyedUnknown.some((p) => p.plan.orders.some((body) => sameBody(order, body)));
  const unanswered = observed.orders.filter((order) => order.status === 'SHIPPED' && !accepted.has(order.orderId));
  const unkeyedResidual = unanswered.filter(isResidual).map((order) => order.orderId);
  fail('no order ships that no client was answered 202 for', unanswered.filter((order) => !isResidual(order)).map((order) => order.orderId), 'shipped, yet its request was answered otherwise (a 503 said none of them will be processed)');

  // Balances: start + every top-up answered 200 (+ some of those whose answer was lost) - what shipped, to the cent; nothing negative.
  const shipped = observed.orders.filter((order) => order.status === 'SHIPPED');
  const books = (route: 'account' | 'stock', opening: Record<string, number>, final: Map<string, number>, taken: (id: string) => number) => {
    for (const [id, start] of Object.entries(opening)) {
      const writes = history.topUps.filter((topUp) => topUp.route === route && topUp.id === id);
      const applied = writes.filter((w) => w.outcome === 'applied').reduce((sum, w) => sum + w.amount, 0);
      const unknown = writes.filter((w) => w.outcome === 'unknown').map((w) => w.amount);
      const surplus = (final.get(id) ?? Number.NaN) - (start + applied - taken(id));
      const detail = `start ${start} + top-ups answered 200 ${applied} - shipped ${taken(id)} = ${start + applied - taken(id)}, found ${final.get(id)}; top-ups answered otherwise: ${writes.filter((w) => w.outcome !== 'applied').map((w) => `${w.amount} (${w.status})`).join(', ') || 'none'}`;
      const stale = writes.filter((w) => w.outcome === 'stale').map((w) => w.amount);
      const hint = subsetSums([...unknown, ...stale]).has(surplus) ? ` (the surplus ${surplus} is what top-ups answered 412 would have added: a 412 followed a write that took effect)` : '';
      fail(`every ${route === 'account' ? "customer's credit" : "product's stock"} is start + top-ups - shipped`, subsetSums(unknown).has(surplus) ? [] : [id], detail + hint);
    }
  };
  books('account', plan.credit, observed.accounts, (id) => shipped.filter((order) => order.customerId === id).reduce((sum, order) => sum + order.totalCents, 0));
  books('stock', plan.stock, observed.stock, (id) => shipped.flatMap((order) => order.items).filter((item) => item.productId === id).reduce((sum, item) => sum + item.qty, 0));
  fail('nothing is negative', [...observed.accounts, ...observed.stock].filter(([, balance]) => balance < 0).map(([id, balance]) => `${id} ${balance}`));
  fail('a shipped order was charged once', shipped.filter((order) => order.logs.filter((line) => line.startsWith('Shipped:')).length !== 1).map((order) => order.orderId));

  // Every rejection names a business reason, or the dead-letter queue of the long outage.
  const rejected = observed.orders.filter((order) => order.status === 'REJECTED');
  fail('every rejection names a business reason or its dead-letter queue', rejected.filter((order) => !BUSINESS_REJECTION.test(lastLog(order)) && !DEAD_LETTER_REJECTION.test(lastLog(order))).map((order) => `${order.orderId}: ${lastLog(order)}`));
  const expectedQueue = schedule.longOutage?.deadLetterQueue;
  fail(
    'a dead-letter rejection follows the long outage, naming its queue',
    rejected.filter((order) => DEAD_LETTER_REJECTION.test(lastLog(order)) && !lastLog(order).includes(`(${expectedQueue})`)).map((order) => `${order.orderId}: ${lastLog(order)}`),
  );

  // The queues end empty, the dead-letter queues but for the long outage's, whose letters name final orders.
  fail('the work queues end empty', Object.entries(observed.workQueueDepths).filter(([, depth]) => depth > 0).map(([queue, depth]) => `${queue} ${depth}`));
  for (const [queue, orderIds] of Object.entries(observed.deadLetters)) {
    if (queue !== expectedQueue) fail('no dead letter outside the long outage', orderIds.map((id) => `${queue}: ${id}`));
    else fail('a dead letter names an order that is final', orderIds.filter((id) => !FINAL.has(byId.get(id)?.status ?? '')).map((id) => `${id} ${byId.get(id)?.status ?? 'missing'}`));
  }

  const answers = history.placements.flatMap((p) => [...p.attempts, ...p.repeats].map((seen) => String(seen.status)));
  return {
    violations,
    unkeyedResidual,
    figures: {
      requests: history.placements.length,
      answers: tally(answers),
      accepted: accepted.size,
      stored: observed.orders.length,
      states: tally(observed.orders.map((order) => order.status)),
      rejections: tally(rejected.map((order) => (DEAD_LETTER_REJECTION.test(lastLog(order)) ? 'dead letter' : lastLog(order).replace(/[\d.]+/g, 'N').replace(/n\d+-\S+/g, 'ID')))),
      topUps: tally(history.topUps.map((topUp) => topUp.outcome)),
      deadLetters: Object.fromEntries(Object.entries(observed.deadLetters).map(([queue, ids]) => [queue, ids.length])),
      redrives: history.redrives,
      unkeyedResidual: unkeyedResidual.length,
    },
  };
}
