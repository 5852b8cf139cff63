// The shipper at a reserved concurrency of 1 under a few hundred orders placed at once, with the
// template's defaults: its event source keeps invoking it with more batches than one environment
// takes, Lambda throttles them, and the event source backs off and retries them. Throttled is not
// failed: every order ships or is rejected for a business reason, none is dead-lettered. Some
// customers cannot afford all their orders and one product runs out, so some rejections are due.
import type { FaultConfig } from 'local-sam';
import type { Order } from '../../src/domain/order';
import { StackProcess } from './support/localStack';
import { deadLetters, waitForQuiet } from './support/observe';
import { seededRandom } from './support/random';
import { faultFigures, recordSummary } from './support/report';
import { bySize } from './support/scale';
import { expectContractKept, openBooks, placeWithKey, type Books } from './support/settle';

const SIZE = bySize({ orders: 300, customers: 30 }, { orders: 1000, customers: 100 });
const FAULTS: FaultConfig = { seed: 6, rules: [{ function: 'ShipOrderFunction', kind: 'reserved-concurrency', concurrency: 1 }] };
const PLENTIFUL = 'capped-plentiful';
const SCARCE = 'capped-scarce';
const SCARCE_UNITS = 20;

const random = seededRandom(606);
const books: Books = {
  // A fifth of the customers can pay for two orders or so.
  credit: new Map(Array.from({ length: SIZE.customers }, (_, index) => [`capped-customer-${index}`, index % 5 === 0 ? 5_000 : 1_000_000] as const)),
  stock: new Map([
    [PLENTIFUL, 100_000],
    [SCARCE, SCARCE_UNITS],
  ]),
};
const customers = [...books.credit.keys()];
const planned = Array.from({ length: SIZE.orders }, () => ({
  customerId: random.pick(customers),
  items: [{ productId: PLENTIFUL, qty: random.int(1, 5) }, ...(random.next() < 0.1 ? [{ productId: SCARCE, qty: 1 }] : [])],
  totalAmount: random.int(500, 2_499) / 100,
}));

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'shipper-capped', faults: FAULTS });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

describe(`the shipper at reserved concurrency 1 under ${SIZE.orders} orders placed at once`, () => {
  it('is throttled and retried, never dead-lettered, and rejects no order without a business reason', async () => {
    await openBooks(stack, books);
    const requests = Array.from({ length: Math.ceil(planned.length / 25) }, (_, index) => ({ orders: planned.slice(index * 25, index * 25 + 25) }));
    const replies = await Promise.all(requests.map((body, index) => placeWithKey<{ orders: Order[] }>(stack, '/orders', body, `capped-${index}`)));
    expect(replies.map(({ reply }) => reply.status)).toEqual(requests.map(() => 202));
    const accepted = replies.flatMap(({ reply }) => reply.body.orders.map((order) => order.orderId));

    const settled = await expectContractKept(stack, books, accepted, { timeoutMs: 300_000 });
    expect(await waitForQuiet(stack, 60_000)).toBe(true);
    const dead = await deadLetters(stack);
    expect(Object.values(dead).flat().map((message) => message.Body)).toEqual([]);
    // The premise: the cap was reached, and invocations beyond it were throttled.
    const counts = await stack.faultCounts();
    expect(counts.rules[0]?.injected).toBeGreaterThan(0);
    recordSummary('shipper-capped', {
      orders: SIZE.orders,
      faults: faultFigures(counts),
      deadLetters: Object.values(dead).flat().length,
      ...settled.figures,
    });
  }, 600_000);
});
