// Never oversold, never overdrawn, no spurious rejection, under contention: many customers fire
// far more orders at once than the one scarce product's stock or their credit can serve. The stack
// runs with the template's defaults (five receives before a dead letter, 60 s visibility timeout),
// and reports transaction conflicts as DynamoDB does on AWS (DynamoDB Local alone never does).
import type { Order } from '../../src/domain/order';
import { formatCents } from '../../src/domain/money';
import { StackProcess } from './support/localStack';
import { accountBalances, BUSINESS_REJECTION, call, deadLetters, lastLog, setAccount, setStock, stockBalances, waitForFinal, waitForQuiet } from './support/observe';
import { seededRandom } from './support/random';
import { recordSummary } from './support/report';
import { bySize } from './support/scale';

const SIZE = bySize({ customers: 30, ordersPerCustomer: 10, scarceUnits: 40 }, { customers: 60, ordersPerCustomer: 20, scarceUnits: 100 });
const SEED = 20_240_501;
const SCARCE = 'scarce';
const PLENTIFUL = 'plentiful';
const PLENTIFUL_UNITS = 100_000;
/** Never created: orders that include it are rejected for a missing product. */
const GHOST = 'ghost';
/** Customers without an account: their orders are rejected for a missing account. */
const STRANGERS = 2;

interface Customer {
  customerId: string;
  /** Every order of a customer costs the same, so how many of them its credit covers does not depend on their order. */
  priceCents: number;
  creditCents?: number;
}

interface PlannedOrder {
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: number;
}

function scenario() {
  const random = seededRandom(SEED);
  const customers: Customer[] = Array.from({ length: SIZE.customers }, (_, index) => {
    const priceCents = random.int(500, 5000);
    const covered = random.int(0, 5);
    const customerId = `customer-${String(index).padStart(3, '0')}`;
    // Credit for `covered` orders and less than one more.
    return index < STRANGERS ? { customerId, priceCents } : { customerId, priceCents, creditCents: covered * priceCents + random.int(0, priceCents - 1) };
  });
  const orders: PlannedOrder[] = customers.flatMap((customer) =>
    Array.from({ length: SIZE.ordersPerCustomer }, () => ({
      customerId: customer.customerId,
      items: [
        { productId: SCARCE, qty: 1 },
        ...(random.next() < 0.5 ? [{ productId: PLENTIFUL, qty: random.int(1, 3) }] : []),
        ...(random.next() < 0.04 ? [{ productId: GHOST, qty: 1 }] : []),
      ],
      totalAmount: customer.priceCents / 100,
    })),
  );
  return { customers, orders: random.shuffle(orders) };
}

const { customers, orders: planned } = scenario();

/** Orders the customers' credit could pay for, whichever of them come first: more than the scarce stock. */
const affordable = customers.reduce((sum, customer) => {
  if (customer.creditCents === undefined) return sum;
  const shippable = planned.filter((order) => order.customerId === customer.customerId && !order.items.some((item) => item.productId === GHOST)).length;
  return sum + Math.min(shippable, Math.floor(customer.creditCents / customer.priceCents));
}, 0);

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'contention', transactionConflicts: true });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

describe(`${planned.length} orders from ${SIZE.customers} customers, fired at once, for ${SIZE.scarceUnits} units of one product`, () => {
  it('sells exactly the stock, overdraws nobody, charges each shipped order once and rejects only for a stated business reason', async () => {
    expect(affordable).toBeGreaterThan(SIZE.scarceUnits);
    await setStock(stack, SCARCE, SIZE.scarceUnits);
    await setStock(stack, PLENTIFUL, PLENTIFUL_UNITS);
    for (const customer of customers) if (customer.creditCents !== undefined) await setAccount(stack, customer.customerId, customer.creditCents / 100);

    const replies = await Promise.all(planned.map((order) => call<Order>(stack, 'POST', '/order', order)));
    expect(replies.filter((reply) => reply.status !== 202).map((reply) => `${reply.status} ${reply.text}`)).toEqual([]);
    const orderIds = replies.map((reply) => reply.body.orderId);

    const orders = await waitForFinal(stack, orderIds, 600_000);
    const placed = orderIds.map((orderId) => orders.get(orderId) as Order);
    expect(placed.filter((order) => order.status !== 'SHIPPED' && order.status !== 'REJECTED').map((order) => `${order.orderId} ${order.status}`)).toEqual([]);
    const shipped = placed.filter((order) => order.status === 'SHIPPED');
    const rejected = placed.filter((order) => order.status === 'REJECTED');

    // Never oversold: what shipped of the scarce product is exactly what there was.
    const stock = await stockBalances(stack);
    const unitsShipped = (productId: string) => shipped.reduce((sum, order) => sum + (order.items.find((item) => item.productId === productId)?.qty ?? 0), 0);
    expect(unitsShipped(SCARCE)).toBe(SIZE.scarceUnits);
    expect(stock.get(SCARCE)).toBe(0);
    expect(stock.get(PLENTIFUL)).toBe(PLENTIFUL_UNITS - unitsShipped(PLENTIFUL));
    expect(stock.has(GHOST)).toBe(false);

    // Never overdrawn, and each shipped order charged exactly once.
    const accounts = await accountBalances(stack);
    for (const customer of customers) {
      const charged = shipped.filter((order) => order.customerId === customer.customerId).reduce((sum, order) => sum + order.totalCents, 0);
      if (customer.creditCents === undefined) {
        expect(accounts.has(customer.customerId)).toBe(false);
        expect(charged).toBe(0);
      } else {
        expect({ customerId: customer.customerId, balance: accounts.get(customer.customerId) }).toEqual({ customerId: customer.customerId, balance: customer.creditCents - charged });
      }
    }
    for (const balance of [...accounts.values(), ...stock.values()]) expect(balance).toBeGreaterThanOrEqual(0);
    for (const order of shipped) expect(order.logs.filter((line) => line.startsWith('Shipped:'))).toEqual([`Shipped: charged ${formatCents(order.totalCents)}, stock deducted`]);

    // No spurious rejection: each rejection names a business reason, and that reason still holds
    // at the end (balances only go down), so no conflict or retry was turned into a rejection.
    expect(rejected.map(lastLog).filter((line) => !BUSINESS_REJECTION.test(line))).toEqual([]);
    for (const order of rejected) {
      const reason = lastLog(order);
      const balance = accounts.get(order.customerId);
      if (/credit|account/i.test(reason)) expect(balance === undefined || balance < order.totalCents).toBe(true);
      else expect(order.items.some((item) => (stock.get(item.productId) ?? 0) < item.qty)).toBe(true);
    }
    expect(await waitForQuiet(stack, 30_000)).toBe(true);
    const dead = await deadLetters(stack);
    expect(Object.values(dead).flat().map((message) => message.Body)).toEqual([]);

    const rejectedFor = (pattern: RegExp) => rejected.filter((order) => pattern.test(lastLog(order))).length;
    // The premise: shipments did collide (and were retried), as they do on AWS.
    const conflicts = await stack.transactionConflicts();
    expect(conflicts).toBeGreaterThan(0);
    recordSummary('contention', {
      orders: planned.length,
      customers: SIZE.customers,
      scarceUnits: SIZE.scarceUnits,
      shipped: shipped.length,
      rejected: rejected.length,
      rejectedForMissingAccount: rejectedFor(/no account/),
      rejectedForMissingProduct: rejectedFor(/does not exist/),
      rejectedForCredit: rejectedFor(/does not cover|insufficient credit/),
      rejectedForStock: rejectedFor(/^Stock check failed: (?!.*does not exist)|insufficient stock/),
      rejectedAtShipping: rejectedFor(/^Rejected at shipping/),
      transactionConflicts: conflicts,
      negativeBalances: [...accounts.values(), ...stock.values()].filter((balance) => balance < 0).length,
      deadLetters: Object.values(dead).flat().length,
    });
  }, 900_000);
});
