// SNS throttled and slow, then failing part-way through one POST /orders: the first PublishBatch (10
// orders) goes through after a throttle, every later one fails for the first seconds of the stack.
// One client retries with its Idempotency-Key as a 5xx tells it to, and once more after a 202 as a
// client that timed out would; another sends no key and places new orders after a 5xx, never after
// a 202. Before the acceptance redesign this charged 10 of 15 customers twice: the API answered 503
// after storing, and the retry placed the orders again. Each client runs on a stack of its own,
// both at once.
import type { FaultConfig } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { atOnce, type StartStack } from './support/atOnce';
import type { StackProcess } from './support/localStack';
import { call, sweeperMoves } from './support/observe';
import { seededRandom } from './support/random';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';
import { expectContractKept, openBooks, placeWithKey, sweepingEvery, type Books, type Settled } from './support/settle';

const SIZE = bySize({ requests: 1, ordersPerRequest: 15 }, { requests: 3, ordersPerRequest: 25 });
/** SNS fails for this long after the stack is ready; then the sweeper can announce what the API could not. */
const SNS_FAULT_SECONDS = 20;
const FAULTS: FaultConfig = {
  seed: 15,
  rules: [
    { operation: 'sns:PublishBatch', kind: 'slow', latencyMs: 400, window: [0, SNS_FAULT_SECONDS] },
    // The first call is throttled; the SDK's retry of it goes through: the first batch is announced.
    { operation: 'sns:PublishBatch', kind: 'throttle', times: 1 },
    { operation: 'sns:PublishBatch', kind: 'internal-error', fromCall: 3, window: [0, SNS_FAULT_SECONDS] },
  ],
};
const PRODUCTS = ['sns-product-a', 'sns-product-b'];

/** One customer per order, so that a second charge cannot hide behind another order. */
function scenario(seed: number) {
  const random = seededRandom(seed);
  const requests = Array.from({ length: SIZE.requests }, (_, request) => ({
    orders: Array.from({ length: SIZE.ordersPerRequest }, (_, index) => ({
      customerId: `sns-customer-${request}-${index}`,
      items: [{ productId: random.pick(PRODUCTS), qty: random.int(1, 3) }],
      totalAmount: random.int(100, 9_999) / 100,
    })),
  }));
  const books: Books = {
    credit: new Map(requests.flatMap((request) => request.orders.map((order) => [order.customerId, 100_000] as const))),
    stock: new Map(PRODUCTS.map((productId) => [productId, 10_000] as const)),
  };
  return { requests, books };
}

type Body = { orders: Order[] };

interface Run {
  stack: StackProcess;
  books: Books;
  /** Per request, the orderIds of every 202 it was answered. */
  answers: string[][][];
  statuses: number[][];
  settled: Settled;
  /** The orders the sweeper announced. */
  announcedBySweeper: Set<string>;
  sweeperRuns: { ok: number; failed: number };
}

/** Places the requests as the client would, then waits for every accepted order, moving the sweeper along. */
async function run(start: StartStack, name: string, client: (stack: StackProcess, body: object, request: number) => Promise<{ answers: string[][]; statuses: number[] }>): Promise<Run> {
  const stack = await start({ name, faults: FAULTS });
  const { requests, books } = scenario(115);
  await openBooks(stack, books);
  // One request after another, so that the first batch of the first request is the one SNS lets through.
  const placed: Awaited<ReturnType<typeof client>>[] = [];
  for (const [request, body] of requests.entries()) placed.push(await client(stack, body, request));
  const accepted = [...new Set(placed.flatMap(({ answers }) => answers.flat()))];
  const sweeper = sweepingEvery(stack, 5_000);
  const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 180_000, onWait: sweeper.onWait });
  return { stack, books, answers: placed.map(({ answers }) => answers), statuses: placed.map(({ statuses }) => statuses), settled, announcedBySweeper: announced(stack), sweeperRuns: sweeper.runs };
}

const announced = (stack: StackProcess) => new Set([...sweeperMoves(stack)].filter(([, effects]) => effects.includes('announced')).map(([orderId]) => orderId));

const ids = (reply: { body: Body }) => reply.body.orders.map((order) => order.orderId);

/** With a key: retried through every 5xx with the same key and body; after the 202, once more anyway. */
async function keyedClient(stack: StackProcess, body: object, request: number) {
  const key = `sns-failures-${request}`;
  const first = await placeWithKey<Body>(stack, '/orders', body, key);
  expect(first.reply.status).toBe(202);
  const again = await placeWithKey<Body>(stack, '/orders', body, key);
  expect(again.reply.status).toBe(202);
  return { answers: [ids(first.reply), ids(again.reply)], statuses: [...first.statuses, ...again.statuses] };
}

/** Without a key: a 5xx means the orders will not ship, so the client places them again, as new orders; a 202 is final. */
async function unkeyedClient(stack: StackProcess, body: object) {
  const statuses: number[] = [];
  for (let attempt = 1; attempt <= 10; attempt++) {
    const reply = await call<Body>(stack, 'POST', '/orders', body);
    statuses.push(reply.status);
    if (reply.status === 202) return { answers: [ids(reply)], statuses };
    expect(reply.status).toBeGreaterThanOrEqual(500);
  }
  throw new Error(`POST /orders without a key was never accepted: ${statuses.join(', ')}`);
}

const runs = atOnce({
  keyed: (start: StartStack) => run(start, 'sns-failures-keyed', keyedClient),
  unkeyed: (start: StartStack) => run(start, 'sns-failures-unkeyed', unkeyedClient),
});

/** The premise: the first batch of the first request went out; every other order was announced by the sweeper. */
function expectFirstBatchOnlyAnnouncedByTheApi(result: Run, accepted: string[][]) {
  const firstBatch = (accepted[0] ?? []).slice(0, 10);
  expect(firstBatch.filter((orderId) => result.announcedBySweeper.has(orderId))).toEqual([]);
  expect(accepted.flat().filter((orderId) => !firstBatch.includes(orderId) && !result.announcedBySweeper.has(orderId))).toEqual([]);
}

/** The figures both runs print. */
async function report(name: string, result: Run) {
  const counts = await result.stack.faultCounts();
  recordSummary(name, {
    orders: SIZE.requests * SIZE.ordersPerRequest,
    statuses: result.statuses,
    faults: faultFigures(counts),
    announcedBySweeper: result.announcedBySweeper.size,
    sweeperRuns: result.sweeperRuns,
    ...result.settled.figures,
  });
  return counts;
}

describe(`SNS throttled and slow, then failing part-way through POST /orders of ${SIZE.ordersPerRequest} orders`, () => {
  it('with an Idempotency-Key: every retry answers the same orders, each ships once, and what SNS refused is announced by the sweeper', async () => {
    const result = await runs.keyed;
    // Every answer of a request names the same orders, and nothing else was stored.
    for (const answers of result.answers) for (const answer of answers) expect(answer).toEqual(answers[0]);
    const accepted = result.answers.map((answers) => answers[0] ?? []);
    expect(result.settled.orders.map((order) => order.orderId).sort()).toEqual(accepted.flat().sort());
    // Each customer's one order shipped, charged once (expectContractKept checked every balance).
    expect(result.settled.shipped.map((order) => order.orderId).sort()).toEqual(accepted.flat().sort());
    expectFirstBatchOnlyAnnouncedByTheApi(result, accepted);
    const counts = await report('sns-failures-keyed', result);
    expect(counts.rules.map((rule) => rule.injected > 0)).toEqual([true, true, true]);
  }, 300_000);

  it('without a key: the orders of every 202 ship once, and no other order ships', async () => {
    const result = await runs.unkeyed;
    const accepted = result.answers.flatMap((answers) => answers.flat());
    expectFirstBatchOnlyAnnouncedByTheApi(result, result.answers.map((answers) => answers.flat()));
    expect(result.settled.shipped.map((order) => order.orderId).sort()).toEqual([...accepted].sort());
    // A request answered 5xx left nothing that ships (its orders were withdrawn, or never stored).
    expect(result.settled.orders.filter((order) => !accepted.includes(order.orderId) && order.status === 'SHIPPED')).toEqual([]);
    const counts = await report('sns-failures-unkeyed', result);
    expect(counts.rules.map((rule) => rule.injected > 0)).toEqual([true, true, true]);
  }, 300_000);
});
