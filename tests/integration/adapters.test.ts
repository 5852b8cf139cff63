// Each adapter against the real emulators: the conditions, cancellation reasons and exact
// decimals that mocks cannot show.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { accountStore, stockStore } from '../../src/adapters/balanceStore';
import { orderEvents } from '../../src/adapters/orderEvents';
import { orderStore } from '../../src/adapters/orderStore';
import { shippingLedger } from '../../src/adapters/shippingLedger';
import { checkResultQueue, shipmentQueue } from '../../src/adapters/workQueues';
import { toCents } from '../../src/domain/money';
import { newOrder, OrderStatus, type Order } from '../../src/domain/order';
import { createTestStack, type TestStack } from './support/testStack';

let t: TestStack;
let db: DynamoDBDocumentClient;
let orders: ReturnType<typeof orderStore>;
let accounts: ReturnType<typeof accountStore>;
let stock: ReturnType<typeof stockStore>;
let ledger: ReturnType<typeof shippingLedger>;

beforeAll(async () => {
  t = await createTestStack();
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true }, unmarshallOptions: { wrapNumbers: true } });
  orders = orderStore(db, t.tableName('OrderTable'));
  accounts = accountStore(db, t.tableName('AccountTable'));
  stock = stockStore(db, t.tableName('StockTable'));
  ledger = shippingLedger(db, { orderTable: t.tableName('OrderTable'), accountTable: t.tableName('AccountTable'), stockTable: t.tableName('StockTable') });
});

let counter = 0;
const id = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

async function readyOrder(customerId: string, items: { productId: string; qty: number }[], totalCents: number): Promise<Order> {
  const order = newOrder({ customerId, items, totalCents }, id('o'), new Date().toISOString());
  await orders.saveOrders([order]);
  await orders.recordPassedCheck({ orderId: order.orderId, check: 'CREDIT', passed: true, detail: 'credit ok' });
  await orders.recordPassedCheck({ orderId: order.orderId, check: 'STOCK', passed: true, detail: 'stock ok' });
  expect(await orders.markReadyToShip(order.orderId)).toBe(true);
  return { ...order, status: OrderStatus.ReadyToShip };
}

describe('balance store', () => {
  it('keeps money exact: 0.30 is stored and read back as 30 cents', async () => {
    const customer = id('c');
    await accounts.set(customer, toCents(0.3));
    expect((await accounts.get(customer))?.balance).toBe(30);
  });

  it('keeps cents on large amounts', async () => {
    const customer = id('c');
    await accounts.set(customer, toCents(999_999_999.99));
    expect((await accounts.get(customer))?.balance).toBe(99_999_999_999);
  });

  it('reads many products at once and leaves out the unknown ones', async () => {
    const [a, b] = [id('p'), id('p')];
    await stock.set(a, 3);
    await stock.set(b, 0);
    expect(await stock.getMany([a, b, id('missing')])).toEqual(new Map([[a, 3], [b, 0]]));
  });
});

describe('order store', () => {
  it('stores and reads an order with its exact total', async () => {
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalCents: 18778 }, id('o'), '2026-01-01T00:00:00.000Z');
    await orders.saveOrders([order]);
    expect(await orders.getOrder(order.orderId)).toEqual(order);
  });

  it('writes more than 25 orders in several batches', async () => {
    const many = Array.from({ length: 30 }, () => newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), 't'));
    await orders.saveOrders(many);
    expect((await Promise.all(many.map((o) => orders.getOrder(o.orderId)))).every(Boolean)).toBe(true);
  });

  it('records a check once: a repeat reports the state without appending a log line', async () => {
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), 't');
    await orders.saveOrders([order]);
    const result = { orderId: order.orderId, check: 'CREDIT' as const, passed: true, detail: 'credit ok' };
    expect(await orders.recordPassedCheck(result)).toEqual({ status: 'PENDING', creditCheck: 'PASSED' });
    expect(await orders.recordPassedCheck(result)).toEqual({ status: 'PENDING', creditCheck: 'PASSED' });
    expect((await orders.getOrder(order.orderId))?.logs).toHaveLength(2);
  });

  it('moves an order to READY_TO_SHIP only once, and only with both checks passed', async () => {
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), 't');
    await orders.saveOrders([order]);
    await orders.recordPassedCheck({ orderId: order.orderId, check: 'CREDIT', passed: true, detail: 'credit ok' });
    expect(await orders.markReadyToShip(order.orderId)).toBe(false);
    await orders.recordPassedCheck({ orderId: order.orderId, check: 'STOCK', passed: true, detail: 'stock ok' });
    expect(await Promise.all([orders.markReadyToShip(order.orderId), orders.markReadyToShip(order.orderId)])).toEqual(expect.arrayContaining([true, false]));
  });

  it('does not reject an order that has moved on', async () => {
    const order = await readyOrder('c', [{ productId: 'p', qty: 1 }], 1);
    expect(await orders.rejectForFailedCheck({ orderId: order.orderId, check: 'CREDIT', passed: false, detail: 'late' })).toBe(false);
    expect((await orders.getOrder(order.orderId))?.status).toBe('READY_TO_SHIP');
  });

  it('reports nothing for an order that does not exist', async () => {
    expect(await orders.recordPassedCheck({ orderId: id('none'), check: 'STOCK', passed: true, detail: 'x' })).toBeUndefined();
  });

  it('discards only orders nothing has happened to yet', async () => {
    const untouched = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), 't');
    const checked = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), 't');
    await orders.saveOrders([untouched, checked]);
    await orders.recordPassedCheck({ orderId: checked.orderId, check: 'CREDIT', passed: true, detail: 'ok' });
    await orders.discardOrders([untouched, checked]);
    expect(await orders.getOrder(untouched.orderId)).toBeUndefined();
    expect(await orders.getOrder(checked.orderId)).toBeDefined();
  });
});

describe('shipping ledger', () => {
  async function stocked(units: number) {
    const product = id('p');
    await stock.set(product, units);
    return product;
  }
  async function customerWith(cents: number) {
    const customer = id('c');
    await accounts.set(customer, cents);
    return customer;
  }
  const statusOf = async (orderId: string) => (await orders.getOrder(orderId))?.status;

  it('deducts credit and stock and marks the order SHIPPED in one transaction', async () => {
    const [customer, product] = [await customerWith(100_000), await stocked(10)];
    const order = await readyOrder(customer, [{ productId: product, qty: 3 }], 18778);
    expect(await ledger.ship(order)).toEqual({ shipped: true });
    expect((await accounts.get(customer))?.balance).toBe(100_000 - 18778);
    expect((await stock.get(product))?.balance).toBe(7);
    expect(await statusOf(order.orderId)).toBe('SHIPPED');
  });

  it.each([
    ['insufficient credit', async () => [await customerWith(100), await stocked(5)], { reason: 'insufficient-credit', totalCents: 101 }],
    ['no account', async () => [id('nobody'), await stocked(5)], { reason: 'no-account' }],
    ['insufficient stock', async () => [await customerWith(1000), await stocked(0)], 'insufficient-stock'],
    ['a missing product', async () => [await customerWith(1000), id('none')], 'no-product'],
  ] as const)('refuses for %s and changes nothing', async (_, arrange, expected) => {
    const [customer = '', product = ''] = await arrange();
    const order = await readyOrder(customer, [{ productId: product, qty: 1 }], 101);
    const before = [(await accounts.get(customer))?.balance, (await stock.get(product))?.balance];
    const outcome = await ledger.ship(order);
    if (typeof expected === 'string') expect(outcome).toEqual({ shipped: false, refusal: { reason: expected, productIds: [product] } });
    else expect(outcome).toEqual({ shipped: false, refusal: expected });
    expect([(await accounts.get(customer))?.balance, (await stock.get(product))?.balance]).toEqual(before);
    expect(await statusOf(order.orderId)).toBe('READY_TO_SHIP');
  });

  it('does nothing to an order shipped already', async () => {
    const [customer, product] = [await customerWith(1000), await stocked(5)];
    const order = await readyOrder(customer, [{ productId: product, qty: 1 }], 100);
    await ledger.ship(order);
    expect(await ledger.ship(order)).toEqual({ shipped: false, alreadyFinal: true });
    expect((await accounts.get(customer))?.balance).toBe(900);
    expect((await stock.get(product))?.balance).toBe(4);
  });

  it('ships exactly as many concurrent orders as there is stock, never going below zero', async () => {
    const product = await stocked(5);
    const ready = await Promise.all(Array.from({ length: 20 }, async () => readyOrder(await customerWith(1000), [{ productId: product, qty: 1 }], 100)));
    const outcomes = await Promise.all(ready.map((order) => ledger.ship(order)));
    expect(outcomes.filter((o) => o.shipped)).toHaveLength(5);
    expect(outcomes.filter((o) => !o.shipped && 'refusal' in o && o.refusal.reason === 'insufficient-stock')).toHaveLength(15);
    expect((await stock.get(product))?.balance).toBe(0);
  });
});

describe('messaging adapters', () => {
  it('publishes new orders once to the topic, and both checker queues receive the raw order', async () => {
    const topicArn = t.stack.topics.find((topic) => topic.logicalId === 'OrderTopic')?.arn ?? '';
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 30 }, id('o'), 't');
    await orderEvents(new SNSClient({}), topicArn).announceOrders([order]);
    for (const queue of ['BalanceCheckerQueue', 'StockCheckerQueue']) {
      const bodies = (await t.receiveAll(queue)).map((m) => JSON.parse(m.Body ?? '{}'));
      expect(bodies).toEqual([{ orderId: order.orderId, customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '0.30' }]);
    }
  });

  it('sends check results and shipment requests to their queues', async () => {
    const sqs = new SQSClient({});
    await checkResultQueue(sqs, t.queueUrl('OrderUpdateQueue')).report({ orderId: 'o', check: 'STOCK', passed: false, detail: 'd' });
    await shipmentQueue(sqs, t.queueUrl('ShipOrderQueue')).requestShipping('o');
    expect((await t.receiveAll('OrderUpdateQueue')).map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ orderId: 'o', check: 'STOCK', passed: false, detail: 'd' }]);
    expect((await t.receiveAll('ShipOrderQueue')).map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ orderId: 'o' }]);
  });
});

describe('open orders index', () => {
  it('lists an order while it is open and forgets it once it is final', async () => {
    const [customer, product] = [id('c'), id('p')];
    await accounts.set(customer, 1000);
    await stock.set(product, 1);
    const order = await readyOrder(customer, [{ productId: product, qty: 1 }], 100);
    const listed = async () => {
      const found: string[] = [];
      for await (const open of orders.openOrders(OrderStatus.ReadyToShip, new Date(Date.now() + 60_000).toISOString())) found.push(open.orderId);
      return found;
    };
    expect(await listed()).toContain(order.orderId);
    await ledger.ship(order);
    expect(await listed()).not.toContain(order.orderId);
  });

  it('rejects an overdue PENDING order only while it is still PENDING', async () => {
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), new Date().toISOString());
    await orders.saveOrders([order]);
    expect(await orders.rejectOverdue(order.orderId, OrderStatus.Pending, 'Rejected: too slow')).toBe(true);
    expect(await orders.rejectOverdue(order.orderId, OrderStatus.Pending, 'Rejected: too slow')).toBe(false);
    expect((await orders.getOrder(order.orderId))?.logs.at(-1)).toBe('Rejected: too slow');
  });
});
