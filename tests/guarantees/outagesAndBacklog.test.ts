// Consumers that fail or fall behind while orders arrive, three ways, each on a stack of its own,
// all three at once (they mostly wait):
//   - out of service for less than the retry budget (MaxReceiveCount deliveries a visibility timeout
//     apart), with the template's defaults (5 x 60 s): the messages fail, come back and go through,
//     and no order is rejected;
//   - out of service for longer than the budget (2 x 5 s, relaxed parameters so that it stays
//     short): the messages of the orders placed during it are dead-lettered, and the sweeper rejects
//     exactly those orders, each naming the dead-letter queue in its log; orders placed after it ship;
//   - behind for longer than the shortest order deadline the template allows (OrderDeadlineSeconds
//     60, with MaxReceiveCount 2 x QueueVisibilityTimeoutSeconds 30, which its Rules accept): every
//     update of the order table takes 8 s, so OrderUpdateFunction falls far behind while orders keep
//     arriving, and the last orders' check results wait longer than the deadline. The
//     sweeper finds those orders open at their deadline and announces them again: the duplicates
//     change nothing, and no order with ample credit and stock is rejected for waiting.
import type { FaultConfig } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { atOnce, type StartStack } from './support/atOnce';
import { sleep, type StackProcess } from './support/localStack';
import { deadLetters, lastLog, sweeperMoves, waitForQuiet } from './support/observe';
import { randomOrders, seededRandom } from './support/random';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';
import { expectContractKept, openBooks, placeWithKey, sweepingEvery, type Books, type Settled } from './support/settle';

const SIZE = bySize({ ordersDuring: 40, ordersAfter: 20, backlogOrders: 80, arrivalSeconds: 10 }, { ordersDuring: 150, ordersAfter: 50, backlogOrders: 240, arrivalSeconds: 40 });
const CONSUMER = 'BalanceCheckerFunction';
/** Template defaults: a message is delivered 5 times, 60 s apart, before it is dead-lettered. */
const SHORT_OUTAGE_SECONDS = 90;
/** 2 deliveries 5 s apart: a 30 s outage outlasts them. */
const LONG_OUTAGE_SECONDS = 30;
const LONG_PARAMETERS = { MaxReceiveCount: '2', QueueVisibilityTimeoutSeconds: '5', FunctionTimeoutSeconds: '5', OrderDeadlineSeconds: '60' };
const PRODUCT = 'outage-product';
const outage = (seconds: number): FaultConfig => ({ seed: 4, rules: [{ function: CONSUMER, kind: 'outage', window: [0, seconds] }] });

const BACKLOG_PARAMETERS = { OrderDeadlineSeconds: '60', MaxReceiveCount: '2', QueueVisibilityTimeoutSeconds: '30', FunctionTimeoutSeconds: '30' };
/**
 * Slow all along: OrderUpdateFunction's 3 batches at a time of 10 results, two updates each, handle
 * about 2 results a second, so the last of 2 results per order, arriving over a few seconds, wait
 * well past the 60 s deadline (and a sweeper run) while the first go through in time.
 */
const BACKLOG_FAULTS: FaultConfig = { seed: 5, rules: [{ operation: 'dynamodb:UpdateItem', table: 'OrderTable', kind: 'slow', latencyMs: 8000 }] };
const BACKLOG_PRODUCTS = ['backlog-product-a', 'backlog-product-b', 'backlog-product-c'];

const booksFor = (tag: string): Books => ({
  credit: new Map(Array.from({ length: 10 }, (_, index) => [`${tag}-customer-${index}`, 1_000_000] as const)),
  stock: new Map([[PRODUCT, 100_000]]),
});

/** `count` orders in requests of up to 25, spread over the customers, each request retried with its key until accepted. */
async function placeOrders(stack: StackProcess, books: Books, tag: string, count: number): Promise<string[]> {
  const customers = [...books.credit.keys()];
  const orders = Array.from({ length: count }, (_, index) => ({ customerId: customers[index % customers.length] as string, items: [{ productId: PRODUCT, qty: 1 + (index % 3) }], totalAmount: 10 + (index % 7) }));
  const requests = Array.from({ length: Math.ceil(count / 25) }, (_, index) => ({ orders: orders.slice(index * 25, index * 25 + 25) }));
  const replies = await Promise.all(requests.map((body, index) => placeWithKey<{ orders: Order[] }>(stack, '/orders', body, `${tag}-${index}`)));
  for (const { reply } of replies) expect(reply.status).toBe(202);
  return replies.flatMap(({ reply }) => reply.body.orders.map((order) => order.orderId));
}

interface Run {
  stack: StackProcess;
  during: string[];
  after: string[];
  settled: Settled;
  deadLettered: string[];
}

async function shortOutage(start: StartStack): Promise<Run> {
  const stack = await start({ name: 'outage-short', faults: outage(SHORT_OUTAGE_SECONDS) });
  const books = booksFor('short');
  await openBooks(stack, books);
  const during = await placeOrders(stack, books, 'short', SIZE.ordersDuring + SIZE.ordersAfter);
  const settled = await expectContractKept(stack, books, during, { timeoutMs: 600_000 });
  expect(await waitForQuiet(stack, 60_000)).toBe(true);
  return { stack, during, after: [], settled, deadLettered: Object.values(await deadLetters(stack)).flat().map((message) => String(JSON.parse(message.Body ?? '{}').orderId)) };
}

async function longOutage(start: StartStack): Promise<Run> {
  const stack = await start({ name: 'outage-long', parameters: LONG_PARAMETERS, relaxedParameters: true, faults: outage(LONG_OUTAGE_SECONDS) });
  const books = booksFor('long');
  await openBooks(stack, books);
  const during = await placeOrders(stack, books, 'long-during', SIZE.ordersDuring);
  const { readyAt = Date.now() } = await stack.faultCounts();
  await sleep(Math.max(0, readyAt + LONG_OUTAGE_SECONDS * 1000 - Date.now()));
  const after = await placeOrders(stack, books, 'long-after', SIZE.ordersAfter);
  // Every message has been handled or dead-lettered; then the sweeper reads the dead letters.
  expect(await waitForQuiet(stack, 120_000)).toBe(true);
  const sweeper = sweepingEvery(stack, 5_000);
  await stack.invoke('OrderSweeperFunction');
  const settled = await expectContractKept(stack, books, [...during, ...after], { timeoutMs: 120_000, onWait: sweeper.onWait });
  // Read after the sweeper: reading them here hides them from it for a while.
  const dead = await deadLetters(stack);
  return { stack, during, after, settled, deadLettered: Object.values(dead).flat().map((message) => String(JSON.parse(message.Body ?? '{}').orderId)) };
}

async function backlogPastTheDeadline(start: StartStack) {
  const stack = await start({ name: 'backlog', parameters: BACKLOG_PARAMETERS, faults: BACKLOG_FAULTS });
  const books: Books = {
    credit: new Map(Array.from({ length: 20 }, (_, index) => [`backlog-customer-${index}`, 10_000_000] as const)),
    stock: new Map(BACKLOG_PRODUCTS.map((productId) => [productId, 100_000] as const)),
  };
  const planned = randomOrders(seededRandom(505), { count: SIZE.backlogOrders, customers: [...books.credit.keys()], products: BACKLOG_PRODUCTS, maxProducts: 2, maxQty: 3, cents: [100, 9_999] });
  await openBooks(stack, books);
  const startedAt = Date.now();
  const spacing = (SIZE.arrivalSeconds * 1000) / SIZE.backlogOrders;
  // Each with its key, retried through a 5xx: on a loaded machine the API itself can fall behind.
  const replies = await Promise.all(
    planned.map(async (order, index) => {
      await sleep(startedAt + index * spacing - Date.now());
      return (await placeWithKey<Order>(stack, '/order', order, `backlog-${index}`)).reply;
    }),
  );
  expect(replies.filter((reply) => reply.status !== 202).map((reply) => `${reply.status} ${reply.text}`)).toEqual([]);
  const accepted = replies.map((reply) => reply.body.orderId);
  // The sweeper runs every minute by itself; a run more often moves the test along.
  const sweeper = sweepingEvery(stack, 15_000);
  const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 600_000, onWait: sweeper.onWait });
  // The duplicates the sweeper caused are still slow to handle after every order is final.
  expect(await waitForQuiet(stack, 600_000)).toBe(true);
  const deadLettered = Object.values(await deadLetters(stack)).flat().length;
  return { stack, accepted, settled, moves: sweeperMoves(stack), sweeperRuns: sweeper.runs, deadLettered };
}

const runs = atOnce({ short: shortOutage, long: longOutage, backlog: backlogPastTheDeadline });

async function report(name: string, outageSeconds: number, run: Run, parameters: Record<string, string>, more: Record<string, unknown> = {}) {
  const counts = await run.stack.faultCounts();
  recordSummary(name, {
    orders: run.during.length + run.after.length,
    outage: `${CONSUMER} for ${outageSeconds} s`,
    parameters,
    faults: faultFigures(counts),
    deadLetters: run.deadLettered.length,
    ...more,
    ...run.settled.figures,
  });
  return counts;
}

describe(`${CONSUMER} out of service while orders arrive`, () => {
  it(`for ${SHORT_OUTAGE_SECONDS} s, shorter than the default retry budget (5 x 60 s): every message goes through in the end, no order is rejected`, async () => {
    const run = await runs.short;
    expect(run.settled.shipped.map((order) => order.orderId).sort()).toEqual([...run.during].sort());
    expect(run.settled.rejected).toEqual([]);
    expect(run.deadLettered).toEqual([]);
    const counts = await report('outage-short', SHORT_OUTAGE_SECONDS, run, {});
    expect(counts.rules[0]?.injected).toBeGreaterThan(0);
  }, 900_000);

  it(`for ${LONG_OUTAGE_SECONDS} s, longer than the retry budget (2 x 5 s): the orders whose messages were dead-lettered are rejected, naming the queue, unless another delivery moved them on; the rest ship`, async () => {
    const run = await runs.long;
    const deadLettered = new Set(run.deadLettered);
    // The premise: the outage outlasted the budget of orders placed during it.
    expect(deadLettered.size).toBeGreaterThan(0);
    expect([...deadLettered].filter((orderId) => !run.during.includes(orderId))).toEqual([]);
    // Only for a dead letter, and each naming its queue.
    expect(run.settled.rejected.filter((order) => !deadLettered.has(order.orderId)).map((order) => order.orderId)).toEqual([]);
    for (const order of run.settled.rejected) expect(lastLog(order)).toBe('Rejected: its credit check failed 2 times and its message was dead-lettered (BalanceCheckerDeadLetterQueue)');
    // A dead-lettered order may ship all the same: another delivery of it (a client's retry with its
    // key announces again the orders no check has reached) had its credit checked, so the dead
    // letter no longer held it up. Every other dead-lettered order is rejected.
    const shippedAnyway = run.settled.shipped.filter((order) => deadLettered.has(order.orderId));
    expect(run.settled.rejected.length + shippedAnyway.length).toBe(deadLettered.size);
    expect(run.settled.shipped.map((order) => order.orderId).sort()).toEqual([...run.during, ...run.after].filter((orderId) => !run.settled.rejected.some((order) => order.orderId === orderId)).sort());
    await report('outage-long', LONG_OUTAGE_SECONDS, run, LONG_PARAMETERS, { deadLetteredButShipped: shippedAnyway.length });
  }, 900_000);
});

describe(`a backlog longer than the ${BACKLOG_PARAMETERS.OrderDeadlineSeconds} s order deadline, ${SIZE.backlogOrders} orders arriving over ${SIZE.arrivalSeconds} s`, () => {
  it('moves on the orders that waited past their deadline, changes nothing twice and rejects none of them', async () => {
    const run = await runs.backlog;
    expect(run.settled.rejected.map((order) => `${order.orderId}: ${lastLog(order)}`)).toEqual([]);
    expect(run.deadLettered).toBe(0);
    // The premise: the backlog outlasted the deadline, and the sweeper moved waiting orders on.
    const movedOn = run.accepted.filter((orderId) => run.moves.has(orderId));
    expect(movedOn.length).toBeGreaterThan(0);
    // Duplicates changed nothing: each order has one line per step, whatever was delivered twice.
    const steps = (order: Order) => order.logs.map((line) => line.replace(/:.*/, '')).sort();
    const once = ['Credit check passed', 'Order received', 'Ready to ship', 'Shipped', 'Stock check passed'];
    expect(run.settled.shipped.filter((order) => JSON.stringify(steps(order)) !== JSON.stringify(once)).map((order) => order.logs)).toEqual([]);
    const counts = await run.stack.faultCounts();
    recordSummary('backlog', {
      orders: SIZE.backlogOrders,
      parameters: BACKLOG_PARAMETERS,
      faults: faultFigures(counts),
      movedOnBySweeper: movedOn.length,
      movedOnTwice: movedOn.filter((orderId) => (run.moves.get(orderId)?.length ?? 0) > 1).length,
      sweeperRuns: run.sweeperRuns,
      deadLetters: run.deadLettered,
      ...run.settled.figures,
    });
  }, 1_200_000);
});
