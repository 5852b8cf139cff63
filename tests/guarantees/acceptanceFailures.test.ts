// Acceptance is exactly once however the first attempt ended. Four ways, each a POST /orders that a
// client retries with its Idempotency-Key (through 5xx answers and 409 "still being processed", with
// backoff) until it is accepted:
//   - the idempotency record fails to save after the orders were placed (Powertools' COMPLETED
//     update fails): the attempt still answers 202, and a client that timed out and retries waits
//     out the record's in-progress state, then gets the same orders;
//   - the function times out after storing, having done everything (its caller sees the timeout);
//   - the function is killed by its Timeout after storing: SNS is slow (the announcement is
//     abandoned and handed to the sweeper) and the COMPLETED update slower still, so its
//     in-progress record is left behind;
//   - the write of the orders is slower than the time the attempt has for it: abandoned, withdrawn
//     and answered 503 before the write lands, late. Here also a client without a key, which takes
//     the 503 at its word and places the order again: the late write must not ship.
// Every retry answers the same orderIds, and no second order is stored or charged.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { FaultConfig } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { atOnce, type StartStack } from './support/atOnce';
import { sleep, type StackProcess } from './support/localStack';
import { call, waitForQuiet } from './support/observe';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';
import { expectContractKept, openBooks, placeWithKey, sweepingEvery, type Books } from './support/settle';

const ORDERS_PER_REQUEST = bySize(3, 25);
const PRODUCT = 'acceptance-product';
type Body = { orders: Order[] };

/**
 * The first OrderApiFunction invocation runs to completion and then times out; every COMPLETED
 * update after the first one fails, whatever number of attempts the SDK makes of each.
 */
const RECORD_FAULTS: FaultConfig = {
  seed: 2,
  rules: [
    { function: 'OrderApiFunction', kind: 'timeout', times: 1 },
    { operation: 'dynamodb:UpdateItem', table: 'IdempotencyTable', kind: 'internal-error', fromCall: 2 },
  ],
};
/** The first announcement slower than its budget, and the first COMPLETED update slower than the function's 3 s Timeout. */
const KILLED_FAULTS: FaultConfig = {
  seed: 2,
  rules: [
    { operation: 'sns:PublishBatch', kind: 'slow', latencyMs: 5000, times: 1 },
    { operation: 'dynamodb:UpdateItem', table: 'IdempotencyTable', kind: 'slow', latencyMs: 8000, times: 1 },
  ],
};
/** The first write of new orders with a key (a transaction) and the first without (a put) each take longer than the attempt allows them. */
const SLOW_COMMIT_FAULTS: FaultConfig = {
  seed: 2,
  rules: [
    { operation: 'dynamodb:TransactWriteItems', table: 'OrderTable', kind: 'slow', latencyMs: 4000, times: 1 },
    { operation: 'dynamodb:PutItem', table: 'OrderTable', kind: 'slow', latencyMs: 4000, times: 1 },
  ],
};
/** A 5 s Timeout leaves the write under 3 s; the sweeper looks at an open order after 10 s, so a late write would be announced soon. */
const SLOW_COMMIT_PARAMETERS = { FunctionTimeoutSeconds: '5', QueueVisibilityTimeoutSeconds: '5', MaxReceiveCount: '2', OrderDeadlineSeconds: '10' };
/** Failed records come back after 10 s (the template's lowest), not a minute. */
const FAST_RETRIES = { QueueVisibilityTimeoutSeconds: '10' };

const requestFor = (tag: string) => ({
  orders: Array.from({ length: ORDERS_PER_REQUEST }, (_, index) => ({ customerId: `${tag}-customer-${index}`, items: [{ productId: PRODUCT, qty: 1 }], totalAmount: 12.5 + index })),
});
const booksFor = (...requests: { orders: { customerId: string }[] }[]): Books => ({
  credit: new Map(requests.flatMap((request) => request.orders.map((order) => [order.customerId, 10_000] as const))),
  stock: new Map([[PRODUCT, 10_000]]),
});
const ids = (reply: { body: Body }) => reply.body.orders.map((order) => order.orderId);

/** The idempotency records' statuses as stored (read past the fault proxy). */
async function idempotencyStatuses(stack: StackProcess): Promise<string[]> {
  const { Items = [] } = await stack.clients.db.send(new ScanCommand({ TableName: stack.table('IdempotencyTable'), ConsistentRead: true }));
  return Items.map((item) => String(item.status)).sort();
}

/** Timed out, then the record that failed to save: on one stack, in this order (the faults count calls). */
async function recordFailures(start: StartStack) {
  const stack = await start({ name: 'acceptance-record', parameters: FAST_RETRIES, faults: RECORD_FAULTS });
  const timedOut = requestFor('timed-out');
  const unsaved = requestFor('unsaved');
  const books = booksFor(timedOut, unsaved);
  await openBooks(stack, books);

  const afterTimeout = await placeWithKey<Body>(stack, '/orders', timedOut, 'timed-out');
  const recordsAfterTimeout = await idempotencyStatuses(stack);

  const unsavedFirst = await call<Body>(stack, 'POST', '/orders', unsaved, { 'Idempotency-Key': 'unsaved' });
  const recordsAfterUnsaved = await idempotencyStatuses(stack);
  // A client that timed out before the 202 reached it retries.
  const unsavedRetry = await placeWithKey<Body>(stack, '/orders', unsaved, 'unsaved');

  const accepted = [...ids(afterTimeout.reply), ...ids(unsavedRetry.reply)];
  const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 120_000 });
  return { stack, afterTimeout, recordsAfterTimeout, unsavedFirst, recordsAfterUnsaved, unsavedRetry, settled, counts: await stack.faultCounts() };
}

async function killedAfterStoring(start: StartStack) {
  const stack = await start({ name: 'acceptance-killed', parameters: { ...FAST_RETRIES, FunctionTimeoutSeconds: '3' }, faults: KILLED_FAULTS });
  const request = requestFor('killed');
  const books = booksFor(request);
  await openBooks(stack, books);

  const first = await call<Body>(stack, 'POST', '/orders', request, { 'Idempotency-Key': 'killed' });
  const recordsAfterKill = await idempotencyStatuses(stack);
  const retried = await placeWithKey<Body>(stack, '/orders', request, 'killed');
  const sweeper = sweepingEvery(stack, 5_000);
  const settled = await expectContractKept(stack, books, ids(retried.reply), { timeoutMs: 120_000, onWait: sweeper.onWait });
  return { stack, first, recordsAfterKill, retried, settled, counts: await stack.faultCounts() };
}

/** With a key first (its transaction is the one slowed), then without (its put is). */
async function slowCommit(start: StartStack) {
  const stack = await start({ name: 'acceptance-slow-commit', parameters: SLOW_COMMIT_PARAMETERS, relaxedParameters: true, faults: SLOW_COMMIT_FAULTS });
  const keyed = requestFor('slow-keyed');
  const unkeyed = { customerId: 'slow-unkeyed-customer', items: [{ productId: PRODUCT, qty: 1 }], totalAmount: 20 };
  const books = booksFor(keyed, { orders: [unkeyed] });
  await openBooks(stack, books);

  const keyedAttempts = await placeWithKey<Body>(stack, '/orders', keyed, 'slow-commit');
  const unkeyedFirst = await call<Order>(stack, 'POST', '/order', unkeyed);
  // Told that nothing will be processed, the client without a key places its order again.
  const unkeyedAgain = await call<Order>(stack, 'POST', '/order', unkeyed);
  expect(unkeyedAgain.status).toBe(202);
  const accepted = [...ids(keyedAttempts.reply), unkeyedAgain.body.orderId];
  // Past every late write's first sweep: the sweeper would have announced whatever landed.
  await sleep(2 * Number(SLOW_COMMIT_PARAMETERS.OrderDeadlineSeconds) * 1000);
  await stack.invoke('OrderSweeperFunction');
  // Everything it announced, and everything placed, has been handled.
  expect(await waitForQuiet(stack, 120_000)).toBe(true);
  const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 120_000 });
  return { stack, keyedAttempts, unkeyedFirst, unkeyedAgain, settled, counts: await stack.faultCounts() };
}

const runs = atOnce({ records: recordFailures, killed: killedAfterStoring, slow: slowCommit });

describe(`POST /orders of ${ORDERS_PER_REQUEST} orders whose first attempt ends badly`, () => {
  it('timed out after storing: the retry answers the same orders, from the completed record', async () => {
    const run = await runs.records;
    expect(run.afterTimeout.statuses[0]).toBe(502);
    expect(run.afterTimeout.statuses.at(-1)).toBe(202);
    expect(run.recordsAfterTimeout).toEqual(['COMPLETED']);
    const mine = run.settled.orders.filter((order) => order.customerId.startsWith('timed-out-'));
    expect(mine.map((order) => order.orderId).sort()).toEqual(ids(run.afterTimeout.reply).sort());
    expect(mine.map((order) => order.status)).toEqual(mine.map(() => 'SHIPPED'));
  }, 300_000);

  it('its idempotency record failed to save: the attempt answers 202, and a retry gets the same orders once the record is no longer in progress', async () => {
    const run = await runs.records;
    expect(run.unsavedFirst.status).toBe(202);
    // The premise: the record stayed in progress, so the retry waited it out.
    expect(run.recordsAfterUnsaved).toEqual(['COMPLETED', 'INPROGRESS']);
    expect(run.unsavedRetry.statuses).toContain(409);
    expect(run.unsavedRetry.statuses.at(-1)).toBe(202);
    expect(ids(run.unsavedRetry.reply)).toEqual(ids(run.unsavedFirst));
    const mine = run.settled.orders.filter((order) => order.customerId.startsWith('unsaved-'));
    expect(mine.map((order) => order.orderId).sort()).toEqual(ids(run.unsavedFirst).sort());
    expect(mine.map((order) => order.status)).toEqual(mine.map(() => 'SHIPPED'));
    recordSummary('acceptance-record', {
      orders: run.settled.figures.stored,
      timedOutStatuses: run.afterTimeout.statuses,
      unsavedStatuses: [run.unsavedFirst.status, ...run.unsavedRetry.statuses],
      faults: faultFigures(run.counts),
      ...run.settled.figures,
    });
  }, 300_000);

  it('killed by its Timeout after storing, its in-progress record left behind: the retry gets the same orders, announced once the record expired', async () => {
    const run = await runs.killed;
    expect(run.first.status).toBe(502);
    expect(run.recordsAfterKill).toEqual(['INPROGRESS']);
    expect(run.retried.statuses.at(-1)).toBe(202);
    expect(run.settled.orders.map((order) => order.orderId).sort()).toEqual(ids(run.retried.reply).sort());
    expect(run.settled.shipped).toHaveLength(ORDERS_PER_REQUEST);
    expect(run.counts.rules.map((rule) => rule.injected)).toEqual([1, 1]);
    recordSummary('acceptance-killed', {
      orders: run.settled.figures.stored,
      statuses: [run.first.status, ...run.retried.statuses],
      faults: faultFigures(run.counts),
      ...run.settled.figures,
    });
  }, 300_000);

  it('its write slower than its deadline, answered 503 before the write landed: the late write is never processed', async () => {
    const run = await runs.slow;
    expect(run.keyedAttempts.statuses[0]).toBe(503);
    expect(run.keyedAttempts.statuses.at(-1)).toBe(202);
    expect(run.unkeyedFirst.status).toBe(503);
    // With the key: one set of orders, shipped once. Without: only the order placed again ships.
    const keyed = run.settled.orders.filter((order) => order.customerId.startsWith('slow-keyed-'));
    expect(keyed.map((order) => order.orderId).sort()).toEqual(ids(run.keyedAttempts.reply).sort());
    expect(keyed.map((order) => order.status)).toEqual(keyed.map(() => 'SHIPPED'));
    expect(run.settled.shipped.filter((order) => order.customerId === 'slow-unkeyed-customer').map((order) => order.orderId)).toEqual([run.unkeyedAgain.body.orderId]);
    expect(run.counts.rules.map((rule) => rule.injected)).toEqual([1, 1]);
    recordSummary('acceptance-slow-commit', {
      orders: run.settled.figures.stored,
      keyedStatuses: run.keyedAttempts.statuses,
      unkeyedStatuses: [run.unkeyedFirst.status, run.unkeyedAgain.status],
      faults: faultFigures(run.counts),
      ...run.settled.figures,
    });
  }, 300_000);
});
