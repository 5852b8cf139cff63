// Every payload in events/ gives the result events/README.md documents, against the emulators.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { toOrderItem } from '../../src/adapters/orderStore';
import { toCents } from '../../src/domain/money';
import { newOrder, OrderStatus } from '../../src/domain/order';
import { lambdaContext } from '../support/factories';
import { createTestStack, type TestStack } from './support/testStack';

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack();
});

const event = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, '../../events', name), 'utf8')) as T;
const api = async (fn: string, name: string) => {
  const response = await t.handler<(e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>>(fn)(event(name), lambdaContext(fn));
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
};
const consume = (fn: string, name: string) => t.handler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>(fn)(event(name), lambdaContext(fn));

const put = (table: string, item: Record<string, unknown>) => t.db.send(new PutCommand({ TableName: t.tableName(table), Item: item }));
const get = async (table: string, key: Record<string, string>) => (await t.db.send(new GetCommand({ TableName: t.tableName(table), Key: key }))).Item;
const cents = (value: unknown) => toCents((value as { value: string }).value);
const bodiesOn = async (queue: string) => (await t.receiveAll(queue)).map((m) => JSON.parse(m.Body ?? '{}'));

const EXAMPLE_ORDER = 'example-order-1';
/** When the example order was placed, as shipOrder.json's request says. */
const PLACED_AT = '2026-11-24T09:15:00.000Z';
async function exampleOrder(status: OrderStatus, checks: Record<string, string> = {}, sweepAt?: string) {
  const order = newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 1 }, { productId: '789', qty: 1 }], totalCents: 18778 }, EXAMPLE_ORDER, PLACED_AT);
  await put('OrderTable', { ...toOrderItem({ ...order, status }, sweepAt), ...checks });
}
async function demoBalances() {
  await put('AccountTable', { customerId: 'aaa789', balance: 1000, updatedAt: 't' });
  await put('StockTable', { productId: '456', balance: 100, updatedAt: 't' });
  await put('StockTable', { productId: '789', balance: 100, updatedAt: 't' });
}

describe('events/ payloads', () => {
  it('orderApi-post-order.json places a PENDING order and announces it', async () => {
    const response = await api('OrderApiFunction', 'orderApi-post-order.json');
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({ customerId: 'aaa789', totalAmount: 187.78, status: 'PENDING' });
    expect(response.headers?.Location).toBe(`/dev/order/${String(response.json.orderId)}/status`);
    expect((await bodiesOn('BalanceCheckerQueue')).map((b) => b.orderId)).toEqual([response.json.orderId]);
    expect((await bodiesOn('StockCheckerQueue')).map((b) => b.orderId)).toEqual([response.json.orderId]);
  });

  it('orderApi-post-orders.json places two orders in request order', async () => {
    const response = await api('OrderApiFunction', 'orderApi-post-orders.json');
    expect(response.statusCode).toBe(202);
    expect((response.json.orders as { customerId: string; status: string }[]).map((o) => [o.customerId, o.status])).toEqual([
      ['aaa789', 'PENDING'],
      ['bbb968', 'PENDING'],
    ]);
    await t.receiveAll('BalanceCheckerQueue');
    await t.receiveAll('StockCheckerQueue');
  });

  it('orderApi-get-order-status.json reads an order status, or 404 without it', async () => {
    expect((await api('OrderApiFunction', 'orderApi-get-order-status.json')).statusCode).toBe(404);
    await exampleOrder(OrderStatus.Pending);
    const response = await api('OrderApiFunction', 'orderApi-get-order-status.json');
    expect(response).toMatchObject({ statusCode: 200, json: { orderId: EXAMPLE_ORDER, status: 'PENDING', logs: [expect.stringMatching(/^Order received/)] } });
  });

  it('accountUpdate-post-account.json sets the account balance', async () => {
    const response = await api('AccountUpdateFunction', 'accountUpdate-post-account.json');
    expect(response).toMatchObject({ statusCode: 200, json: { customerId: 'aaa789', balance: 1000 } });
    expect(cents((await get('AccountTable', { customerId: 'aaa789' }))?.balance)).toBe(100_000);
  });

  it('stockUpdate-post-stock.json sets the product stock', async () => {
    const response = await api('StockUpdateFunction', 'stockUpdate-post-stock.json');
    expect(response).toMatchObject({ statusCode: 200, json: { productId: '456', balance: 100 } });
  });

  it('balanceChecker.json reports a passed credit check', async () => {
    await demoBalances();
    expect((await consume('BalanceCheckerFunction', 'balanceChecker.json')).batchItemFailures).toEqual([]);
    expect(await bodiesOn('OrderUpdateQueue')).toEqual([{ orderId: EXAMPLE_ORDER, check: 'CREDIT', passed: true, detail: 'Credit check passed: balance 1000.00 covers 187.78' }]);
  });

  it('stockChecker.json reports a passed stock check', async () => {
    await demoBalances();
    expect((await consume('StockCheckerFunction', 'stockChecker.json')).batchItemFailures).toEqual([]);
    expect(await bodiesOn('OrderUpdateQueue')).toEqual([
      { orderId: EXAMPLE_ORDER, check: 'STOCK', passed: true, detail: 'Stock check passed: product 456 has 100, needs 1; product 789 has 100, needs 1' },
    ]);
  });

  it('orderUpdate.json records both checks, moves the order to READY_TO_SHIP and requests shipping once', async () => {
    await exampleOrder(OrderStatus.Pending);
    expect((await consume('OrderUpdateFunction', 'orderUpdate.json')).batchItemFailures).toEqual([]);
    expect((await get('OrderTable', { orderId: EXAMPLE_ORDER }))?.status).toBe('READY_TO_SHIP');
    expect(await bodiesOn('ShipOrderQueue')).toEqual([
      { orderId: EXAMPLE_ORDER, customerId: 'aaa789', items: [{ productId: '456', qty: 1 }, { productId: '789', qty: 1 }], totalAmount: '187.78', createdAt: PLACED_AT },
    ]);
  });

  it('orderSweeper.json announces again a PENDING order whose time has come, and rejects nothing', async () => {
    await exampleOrder(OrderStatus.Pending, {}, '2000-01-01T00:00:00.000Z');
    const summary = await t.handler<(e: ScheduledEvent, c: Context) => Promise<Record<string, unknown>>>('OrderSweeperFunction')(event('orderSweeper.json'), lambdaContext('OrderSweeperFunction'));
    expect(summary).toMatchObject({ announced: 1, rejectedForDeadLetters: 0, failed: 0 });
    expect((await bodiesOn('BalanceCheckerQueue')).map((b) => b.orderId)).toEqual([EXAMPLE_ORDER]);
    expect((await bodiesOn('StockCheckerQueue')).map((b) => b.orderId)).toEqual([EXAMPLE_ORDER]);
    const stored = await get('OrderTable', { orderId: EXAMPLE_ORDER });
    expect(stored?.status).toBe('PENDING');
    expect(Date.parse(String(stored?.sweepAt)) - Date.now()).toBeGreaterThan(290_000);
  });

  it('shipOrder.json ships the order and deducts 187.78 and one unit of each product', async () => {
    await demoBalances();
    await exampleOrder(OrderStatus.ReadyToShip, { creditCheck: 'PASSED', stockCheck: 'PASSED' });
    expect((await consume('ShipOrderFunction', 'shipOrder.json')).batchItemFailures).toEqual([]);
    expect((await get('OrderTable', { orderId: EXAMPLE_ORDER }))?.status).toBe('SHIPPED');
    expect(cents((await get('AccountTable', { customerId: 'aaa789' }))?.balance)).toBe(81_222);
    expect(Number((await get('StockTable', { productId: '456' }))?.balance.value)).toBe(99);
    expect(Number((await get('StockTable', { productId: '789' }))?.balance.value)).toBe(99);
  });
});
