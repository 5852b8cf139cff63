// `npm start -- --faults FILE` end to end: for the stack's first seconds SNS throttles every
// PublishBatch, and the shipper runs at a reserved concurrency of 1 throughout. Orders placed in
// that window are retried with their Idempotency-Key until accepted, more are placed after it, and
// every one of them ships, charged once.
import type { FaultConfig, FaultCounts } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { sleep, StackProcess } from './support/localStack';
import { accountBalances, call, setAccount, setStock, stockBalances, waitForFinal } from './support/observe';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';

const THROTTLED_SECONDS = 20;
const FAULTS: FaultConfig = {
  seed: 11,
  rules: [
    { operation: 'sns:PublishBatch', kind: 'throttle', window: [0, THROTTLED_SECONDS] },
    { function: 'ShipOrderFunction', kind: 'reserved-concurrency', concurrency: 1 },
    // Harmless, and its count shows that the functions' own queue sends pass through the injector.
    { operation: 'sqs:SendMessage*', kind: 'slow', latencyMs: 1 },
  ],
};
const ORDERS_PER_REQUEST = bySize(10, 25);
const REQUESTS_AFTER = bySize(2, 6);
const CUSTOMER = 'faults-customer';
const PRODUCT = 'faults-product';

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'faults', faults: FAULTS });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

const newOrders = () => ({ orders: Array.from({ length: ORDERS_PER_REQUEST }, () => ({ customerId: CUSTOMER, items: [{ productId: PRODUCT, qty: 1 }], totalAmount: 1.25 })) });
const countOf = (counts: FaultCounts, text: string) => counts.rules.find((rule) => rule.text === text) ?? { seen: 0, injected: 0 };

/** POSTs /orders until it is accepted, with the same key and body each time, as a client told to retry would. */
async function placeUntilAccepted(key: string, body: object): Promise<{ orders: Order[]; attempts: number[] }> {
  const attempts: number[] = [];
  for (;;) {
    const reply = await call<{ orders: Order[] }>(stack, 'POST', '/orders', body, { 'Idempotency-Key': key });
    attempts.push(reply.status);
    if (reply.status === 202) return { orders: reply.body.orders, attempts };
    expect(reply.status).toBeGreaterThanOrEqual(500);
    await sleep(1000);
  }
}

describe('faults injected on demand', () => {
  it('throttles SNS inside its window and caps the shipper, and every accepted order still ships once', async () => {
    await setAccount(stack, CUSTOMER, 1_000_000);
    await setStock(stack, PRODUCT, 100_000);

    const during = await placeUntilAccepted('faults-during-window', newOrders());
    const acceptedAt = Date.now();
    const { readyAt = 0 } = await stack.faultCounts();
    // The first attempt fell inside the throttled window; whatever it answered, its retries bring one set of orders.
    const after: Order[] = [];
    for (let request = 0; request < REQUESTS_AFTER; request++) after.push(...(await placeUntilAccepted(`faults-after-${request}`, newOrders())).orders);
    const placed = [...during.orders, ...after];

    const final = await waitForFinal(stack, placed.map((order) => order.orderId), 180_000);
    const counts = await stack.faultCounts();
    const orders = [...final.values()].filter((order) => order.customerId === CUSTOMER);
    expect(orders.map((order) => order.status)).toEqual(placed.map(() => 'SHIPPED'));
    expect(orders.map((order) => order.orderId).sort()).toEqual(placed.map((order) => order.orderId).sort());
    expect((await accountBalances(stack)).get(CUSTOMER)).toBe(100_000_000 - placed.length * 125);
    expect((await stockBalances(stack)).get(PRODUCT)).toBe(100_000 - placed.length);

    // Every PublishBatch inside the window was throttled; those after it went through (the orders shipped).
    const publishes = countOf(counts, 'sns:PublishBatch throttle window=0-20');
    expect(publishes.injected).toBeGreaterThan(0);
    expect(publishes.seen).toBe(publishes.injected);
    expect(countOf(counts, 'ShipOrderFunction reserved-concurrency concurrency=1').seen).toBeGreaterThan(0);
    expect(countOf(counts, 'sqs:SendMessage* slow latencyMs=1').seen).toBeGreaterThan(0);
    recordSummary('faults', {
      orders: placed.length,
      attemptsInWindow: during.attempts,
      firstOrdersAcceptedAfterSeconds: Math.round((acceptedAt - readyAt) / 1000),
      faults: faultFigures(counts),
      shipped: orders.filter((order) => order.status === 'SHIPPED').length,
    });
  }, 600_000);
});
