// Money is exact end to end: what a client sends is what is stored, checked, charged and shown,
// to the cent, from 0.01 to 1 000 000 000, with no binary floating-point drift on the way.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../src/domain/order';
import { formatCents, toCents } from '../../src/domain/money';
import { StackProcess } from './support/localStack';
import { accountBalances, call, setAccount, setStock, waitForFinal } from './support/observe';
import { seededRandom } from './support/random';
import { recordSummary } from './support/report';
import { bySize } from './support/scale';

const PRODUCT = 'money-product';
/** Amounts whose binary floating-point forms are famously inexact. */
const AWKWARD = [0.1, 0.2, 0.07, 0.29, 0.57, 1.15, 4.35, 8.2, 19.99, 33.33, 0.3, 1.1, 2.67, 1234567.89];

let stack: StackProcess;
const ordersPlaced: string[] = [];

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'money' });
  await setStock(stack, PRODUCT, 100_000);
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

async function placeAll(customerId: string, totals: number[]): Promise<Order[]> {
  const placed: Order[] = [];
  for (let start = 0; start < totals.length; start += 25) {
    const reply = await call<{ orders: Order[] }>(stack, 'POST', '/orders', {
      orders: totals.slice(start, start + 25).map((totalAmount) => ({ customerId, items: [{ productId: PRODUCT, qty: 1 }], totalAmount })),
    });
    expect(reply.status).toBe(202);
    placed.push(...reply.body.orders);
  }
  ordersPlaced.push(...placed.map((order) => order.orderId));
  const final = await waitForFinal(stack, placed.map((order) => order.orderId), 120_000);
  return placed.map((order) => final.get(order.orderId) as Order);
}

/** The balance as stored in DynamoDB, as its exact decimal text. */
async function storedBalance(customerId: string): Promise<string> {
  const { Item } = await stack.clients.db.send(new GetCommand({ TableName: stack.table('AccountTable'), Key: { customerId }, ConsistentRead: true }));
  return String((Item?.balance as { value: string }).value);
}

describe('exact money', () => {
  it('charges 0.10 and 0.20 against 0.30 and leaves exactly 0', async () => {
    await setAccount(stack, 'thirty-cents', 0.3);
    const orders = await placeAll('thirty-cents', [0.1, 0.2]);
    expect(orders.map((order) => order.status)).toEqual(['SHIPPED', 'SHIPPED']);
    const account = await call(stack, 'GET', '/account/thirty-cents');
    expect(account.text).toMatch(/"balance":0[,}]/);
    expect(toCents(await storedBalance('thirty-cents'))).toBe(0);
  });

  it('keeps the cents of 999999999.99 from the request to the stored balance, the checks, the charge and the answer', async () => {
    const set = await call(stack, 'POST', '/account', { customerId: 'nearly-a-billion', balance: 999999999.99 });
    expect(set.text).toContain('"balance":999999999.99');
    expect(await storedBalance('nearly-a-billion')).toBe('999999999.99');

    const [order] = await placeAll('nearly-a-billion', [999999999.98]);
    expect(order?.status).toBe('SHIPPED');
    expect(order?.logs).toEqual(expect.arrayContaining(['Credit check passed: balance 999999999.99 covers 999999999.98', 'Shipped: charged 999999999.98, stock deducted']));
    expect((await call(stack, 'GET', `/order/${order?.orderId}`)).text).toContain('"totalAmount":999999999.98');
    expect(await storedBalance('nearly-a-billion')).toBe('0.01');
    expect((await call(stack, 'GET', '/account/nearly-a-billion')).text).toContain('"balance":0.01');
  });

  it('takes a cent off the largest balance there may be, 1000000000, and keeps it exact', async () => {
    await setAccount(stack, 'a-billion', 1_000_000_000);
    const [order] = await placeAll('a-billion', [0.01]);
    expect(order?.status).toBe('SHIPPED');
    expect(await storedBalance('a-billion')).toBe('999999999.99');
    expect((await call(stack, 'GET', '/account/a-billion')).text).toContain('"balance":999999999.99');
  });

  it('charges many awkward amounts against exactly their sum and leaves exactly 0, then refuses one cent more', async () => {
    const random = seededRandom(7_001);
    const count = bySize(40, 200);
    const exact = Array.from({ length: count }, (_, index) => AWKWARD[index] ?? random.int(1, 9_999_999) / 100);
    const sumCents = exact.reduce((sum, amount) => sum + toCents(amount), 0);
    await setAccount(stack, 'awkward', Number(formatCents(sumCents)));

    const orders = await placeAll('awkward', exact);
    expect(orders.filter((order) => order.status !== 'SHIPPED')).toEqual([]);
    expect((await accountBalances(stack)).get('awkward')).toBe(0);
    expect(toCents(await storedBalance('awkward'))).toBe(0);

    const [oneCentMore] = await placeAll('awkward', [0.01]);
    expect(oneCentMore?.status).toBe('REJECTED');
    expect(oneCentMore?.logs).toContain('Credit check failed: balance 0.00 does not cover 0.01');
    recordSummary('money', { orders: ordersPlaced.length, awkwardAmounts: exact.length, awkwardSum: formatCents(sumCents), balanceLeft: formatCents((await accountBalances(stack)).get('awkward') ?? -1) });
  }, 240_000);
});
