// What every fault scenario ends on (docs/guarantees.md): every accepted order final, each
// charged at most once (the balances are exactly the opening ones less the totals of the SHIPPED
// orders, none negative), and no rejection without a business reason or a dead letter behind it.
// Also the two clients the contract speaks of: one that retries with its Idempotency-Key as it is
// told to, and one without a key.
import { formatCents, type Cents } from '../../../src/domain/money';
import { OrderStatus, type Order } from '../../../src/domain/order';
import { sleep, type StackProcess } from './localStack';
import { accountBalances, call, isFinal, lastLog, rejectedWithoutReason, stockBalances, waitForFinal, type Reply } from './observe';

/** Credit (cents) per customer and stock (units) per product at the start. */
export interface Books {
  credit: Map<string, Cents>;
  stock: Map<string, number>;
}

/**
 * Sets the opening balances over HTTP. Setting a balance twice to the same value is harmless, so a
 * write the stack's own faults answered with a 5xx is simply sent again.
 */
export async function openBooks(stack: StackProcess, books: Books): Promise<void> {
  const set = async (path: string, body: object) => {
    for (let attempt = 1; ; attempt++) {
      const reply = await call(stack, 'POST', path, body);
      if (reply.status === 200) return;
      if (reply.status < 500 || attempt === 10) throw new Error(`POST ${path} answered ${reply.status}: ${reply.text}`);
      await sleep(200 * attempt);
    }
  };
  for (const [customerId, cents] of books.credit) await set('/account', { customerId, balance: cents / 100 });
  for (const [productId, units] of books.stock) await set('/stock', { productId, balance: units });
}

export type Answered<T> = { reply: Reply<T>; statuses: number[] };

/**
 * A client with an Idempotency-Key: while the answer says to retry (a 5xx, or 409 "still being
 * processed"), it sends the same key and body again after a growing pause, until it is accepted.
 */
export async function placeWithKey<T>(stack: StackProcess, path: string, body: unknown, key: string, { attempts = 30 } = {}): Promise<Answered<T>> {
  const statuses: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const reply = await call<T>(stack, 'POST', path, body, { 'Idempotency-Key': key });
    statuses.push(reply.status);
    const stillInProgress = reply.status === 409 && /still being processed/.test(reply.text);
    if ((reply.status < 500 && !stillInProgress) || attempt === attempts) return { reply, statuses };
    await sleep(Math.min(250 * 2 ** attempt, 4000));
  }
}

/** Runs the sweeper now and then while a test waits, as its schedule would (failed runs are counted, not thrown). */
export function sweepingEvery(stack: StackProcess, intervalMs: number) {
  let last = Date.now();
  const runs = { ok: 0, failed: 0 };
  const onWait = async () => {
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    await stack.invoke('OrderSweeperFunction').then(
      () => runs.ok++,
      () => runs.failed++,
    );
  };
  return { onWait, runs };
}

/** What an order's last line gives as the reason it was rejected. */
export function rejectionReason(order: Order): string {
  const line = lastLog(order);
  const deadLetter = /dead-lettered \((\w+)\)/.exec(line);
  if (deadLetter) return `dead letter in ${deadLetter[1]}`;
  if (/no account/.test(line)) return 'no account';
  if (/does not cover|insufficient credit/.test(line)) return 'insufficient credit';
  if (/does not exist/.test(line)) return 'no such product';
  if (/has \d+, needs|insufficient stock/.test(line)) return 'insufficient stock';
  return `no stated reason: ${line}`;
}

const tally = (values: string[]): Record<string, number> => values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});

export interface Settled {
  /** Every order the stack stored, accepted or not. */
  orders: Order[];
  shipped: Order[];
  rejected: Order[];
  /** The figures a scenario prints: orders, final states, charges, rejections and their reasons. */
  figures: {
    stored: number;
    accepted: number;
    states: Record<string, number>;
    charges: { orders: number; amount: string };
    rejections: Record<string, number>;
  };
}

/**
 * Waits until every accepted order is final, then holds the whole stack to the guarantees: every
 * accepted order final; every balance exactly its opening value less what the SHIPPED orders took
 * (so each was charged once and no other order was), none negative; one "Shipped" line per shipped
 * order; no rejection that states neither a business reason nor a dead letter, and none whose
 * business reason no longer holds. Balances must only go down during the scenario.
 */
export async function expectContractKept(
  stack: StackProcess,
  books: Books,
  accepted: readonly string[],
  { timeoutMs, onWait }: { timeoutMs: number; onWait?: () => Promise<void> },
): Promise<Settled> {
  const final = await waitForFinal(stack, accepted, timeoutMs, onWait);
  expect(accepted.filter((orderId) => !isFinal(final.get(orderId))).map((orderId) => `${orderId} ${final.get(orderId)?.status ?? 'missing'}`)).toEqual([]);

  const orders = [...final.values()];
  const shipped = orders.filter((order) => order.status === OrderStatus.Shipped);
  const rejected = orders.filter((order) => order.status === OrderStatus.Rejected);
  const accounts = await accountBalances(stack);
  const stock = await stockBalances(stack);
  const charged = (customerId: string) => shipped.filter((order) => order.customerId === customerId).reduce((sum, order) => sum + order.totalCents, 0);
  const taken = (productId: string) => shipped.flatMap((order) => order.items).filter((item) => item.productId === productId).reduce((sum, item) => sum + item.qty, 0);
  expect([...books.credit.keys()].map((customerId) => ({ customerId, balance: accounts.get(customerId) }))).toEqual(
    [...books.credit].map(([customerId, cents]) => ({ customerId, balance: cents - charged(customerId) })),
  );
  expect([...books.stock.keys()].map((productId) => ({ productId, balance: stock.get(productId) }))).toEqual(
    [...books.stock].map(([productId, units]) => ({ productId, balance: units - taken(productId) })),
  );
  // Nobody without an opening balance was charged, and nothing went below zero.
  expect(shipped.filter((order) => !books.credit.has(order.customerId)).map((order) => order.orderId)).toEqual([]);
  expect([...accounts.values(), ...stock.values()].filter((balance) => balance < 0)).toEqual([]);
  expect(shipped.filter((order) => order.logs.filter((line) => line.startsWith('Shipped:')).length !== 1).map((order) => order.orderId)).toEqual([]);
  expect(rejectedWithoutReason(orders).map((order) => `${order.orderId}: ${lastLog(order)}`)).toEqual([]);
  // Balances only went down, so a business reason that held when the order was rejected still holds:
  // no throttle, outage or retry was turned into a rejection.
  const stillHolds = (order: Order): boolean => {
    const reason = rejectionReason(order);
    if (reason === 'insufficient credit') return (accounts.get(order.customerId) ?? 0) < order.totalCents;
    if (reason === 'insufficient stock') return order.items.some((item) => (stock.get(item.productId) ?? 0) < item.qty);
    if (reason === 'no account') return !accounts.has(order.customerId);
    if (reason === 'no such product') return order.items.some((item) => !stock.has(item.productId));
    return true;
  };
  expect(rejected.filter((order) => !stillHolds(order)).map((order) => `${order.orderId}: ${lastLog(order)}`)).toEqual([]);

  return {
    orders,
    shipped,
    rejected,
    figures: {
      stored: orders.length,
      accepted: accepted.length,
      states: tally(orders.map((order) => order.status)),
      charges: { orders: shipped.length, amount: formatCents(shipped.reduce((sum, order) => sum + order.totalCents, 0)) },
      rejections: tally(rejected.map(rejectionReason)),
    },
  };
}
