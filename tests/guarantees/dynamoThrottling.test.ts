// DynamoDB throttles 10 % of the calls the functions make, every table and operation alike, for the
// stack's first 60 s, while orders keep arriving all through it. Most clients send an
// Idempotency-Key and retry with it through a 5xx; the others send none and take a 5xx as "not
// placed". Some customers cannot afford all their orders, so some rejections are due: each must
// state its business reason, and that reason must still hold at the end. A failed record is retried
// after 10 s (the template's lowest visibility timeout), otherwise template defaults.
import type { FaultConfig } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { sleep, StackProcess } from './support/localStack';
import { call } from './support/observe';
import { randomOrders, seededRandom } from './support/random';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';
import { expectContractKept, openBooks, placeWithKey, type Books } from './support/settle';

const SIZE = bySize({ orders: 240, customers: 40 }, { orders: 600, customers: 80 });
const THROTTLED_SECONDS = 60;
const FAULTS: FaultConfig = { seed: 3, rules: [{ operation: 'dynamodb:*', kind: 'throttle', rate: 0.1, window: [0, THROTTLED_SECONDS] }] };
const PRODUCTS = Array.from({ length: 5 }, (_, index) => `throttled-product-${index}`);
/** Every fourth order is sent without an Idempotency-Key. */
const UNKEYED_EVERY = 4;

const random = seededRandom(303);
const books: Books = {
  // A quarter of the customers can pay for about one order only.
  credit: new Map(Array.from({ length: SIZE.customers }, (_, index) => [`throttled-customer-${index}`, index % 4 === 0 ? 5_000 : 1_000_000] as const)),
  stock: new Map(PRODUCTS.map((productId) => [productId, 100_000] as const)),
};
const planned = randomOrders(random, { count: SIZE.orders, customers: [...books.credit.keys()], products: PRODUCTS, maxProducts: 3, maxQty: 4, cents: [1_000, 4_999] });

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'dynamo-throttling', parameters: { QueueVisibilityTimeoutSeconds: '10' }, faults: FAULTS });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

/** Places order `index` at its time; resolves to its orderId once accepted, undefined if a client without a key got a 5xx. */
async function place(index: number, at: number): Promise<{ orderId?: string; statuses: number[] }> {
  await sleep(Math.max(0, at - Date.now()));
  const order = planned[index];
  if (index % UNKEYED_EVERY === 0) {
    const reply = await call<Order>(stack, 'POST', '/order', order);
    if (reply.status !== 202) expect(reply.status).toBeGreaterThanOrEqual(500);
    return { ...(reply.status === 202 ? { orderId: reply.body.orderId } : {}), statuses: [reply.status] };
  }
  const { reply, statuses } = await placeWithKey<Order>(stack, '/order', order, `throttled-${index}`);
  expect(reply.status).toBe(202);
  return { orderId: reply.body.orderId, statuses };
}

describe(`DynamoDB throttling 10 % of calls for ${THROTTLED_SECONDS} s under ${SIZE.orders} orders`, () => {
  it('loses no accepted order, charges each shipped one once and rejects only for business reasons that still hold', async () => {
    await openBooks(stack, books);
    const { readyAt = Date.now() } = await stack.faultCounts();
    // Spread over the window, so that orders keep arriving while DynamoDB throttles.
    const start = Math.max(Date.now(), readyAt);
    const spacing = Math.max(0, readyAt + (THROTTLED_SECONDS - 5) * 1000 - start) / SIZE.orders;
    const placed = await Promise.all(planned.map((_, index) => place(index, start + index * spacing)));
    const accepted = placed.flatMap(({ orderId }) => (orderId ? [orderId] : []));

    const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 300_000 });
    // Orders a client without a key was refused with a 5xx never ship.
    expect(settled.orders.filter((order) => !accepted.includes(order.orderId) && order.status === 'SHIPPED').map((order) => order.orderId)).toEqual([]);
    const counts = await stack.faultCounts();
    const [throttles] = counts.rules;
    // The premise: about a tenth of the calls inside the window were throttled.
    expect(throttles?.injected).toBeGreaterThan((throttles?.seen ?? 0) * 0.05);
    const statuses = placed.flatMap((attempt) => attempt.statuses);
    recordSummary('dynamo-throttling', {
      orders: SIZE.orders,
      answers: Object.fromEntries([...new Set(statuses)].map((status) => [status, statuses.filter((seen) => seen === status).length])),
      refusedWithoutKey: placed.filter(({ orderId }) => !orderId).length,
      faults: faultFigures(counts),
      ...settled.figures,
    });
  }, 600_000);
});
