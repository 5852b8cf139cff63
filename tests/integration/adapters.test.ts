// Each adapter against the real emulators: the conditions, cancellation reasons and exact
// decimals that mocks cannot show.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterQueue } from '../../src/adapters/deadLetters';
import { accountStore, stockStore } from '../../src/adapters/balanceStore';
import { orderEvents } from '../../src/adapters/orderEvents';
import { orderStore } from '../../src/adapters/orderStore';
import { shippingLedger } from '../../src/adapters/shippingLedger';
import { checkResultQueue, shipmentQueue } from '../../src/adapters/workQueues';
import { toCents } from '../../src/domain/money';
import { newOrder, OrderStatus, type Order } from '../../src/domain/order';
import { sweepShardOf } from '../../src/domain/sweep';
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
const LATER = '2999-01-01T00:00:00.000Z';
const newOne = (customerId = 'c', createdAt = new Date().toISOString()) => newOrder({ customerId, items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), createdAt);
/** Stores one new order that the sweeper looks at only at `sweepAt`. */
async function stored(order: Order, sweepAt = LATER): Promise<Order> {
  expect(await orders.storeNewOrders([order], sweepAt)).toEqual({ stored: true });
  return order;
}

async function readyOrder(customerId: string, items: { productId: string; qty: number }[], totalCents: number): Promise<Order> {
  const order = await stored(newOrder({ customerId, items, totalCents }, id('o'), new Date().toISOString()));
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
    await stored(order);
    expect(await orders.getOrder(order.orderId)).toEqual(order);
  });

  it('stores an order only where its id is free, and hands back the order found there', async () => {
    const order = await stored(newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalCents: 18778 }, id('o'), '2026-01-01T00:00:00.000Z'));
    const again = { ...order, createdAt: '2026-01-01T00:00:09.000Z', updatedAt: '2026-01-01T00:00:09.000Z' };
    expect(await orders.storeNewOrders([again], LATER)).toEqual({ stored: false, found: [order] });
    expect((await orders.getOrder(order.orderId))?.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('stores a request’s orders all or none, saying which ids were taken', async () => {
    const taken = await stored(newOne());
    const fresh = [newOne(), newOne()];
    const outcome = await orders.storeNewOrders([fresh[0] as Order, { ...taken, customerId: 'other' }, fresh[1] as Order], LATER);
    expect(outcome).toEqual({ stored: false, found: [undefined, taken, undefined] });
    expect(await orders.getOrders(fresh.map((order) => order.orderId))).toEqual(new Map());
    expect(await orders.storeNewOrders(fresh, LATER)).toEqual({ stored: true });
    expect((await orders.getOrders(fresh.map((order) => order.orderId))).size).toBe(2);
  });

  it('stores 25 orders in one transaction', async () => {
    const many = Array.from({ length: 25 }, () => newOne());
    expect(await orders.storeNewOrders(many, LATER)).toEqual({ stored: true });
    expect((await orders.getOrders(many.map((order) => order.orderId))).size).toBe(25);
  });

  it('reads many orders at once, leaving out ids with no order, even ids no key could hold', async () => {
    const order = await stored(newOne());
    const found = await orders.getOrders([order.orderId, id('none'), 'k'.repeat(3000), '']);
    expect([...found.keys()]).toEqual([order.orderId]);
  });

  it('records a check once: a repeat reports the state without appending a log line', async () => {
    const order = await stored(newOne());
    const result = { orderId: order.orderId, check: 'CREDIT' as const, passed: true, detail: 'credit ok' };
    expect(await orders.recordPassedCheck(result)).toEqual({ status: 'PENDING', creditCheck: 'PASSED' });
    expect(await orders.recordPassedCheck(result)).toEqual({ status: 'PENDING', creditCheck: 'PASSED' });
    expect((await orders.getOrder(order.orderId))?.logs).toHaveLength(2);
  });

  it('moves an order to READY_TO_SHIP only once, and only with both checks passed', async () => {
    const order = await stored(newOne());
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

  /** A check result reached the order (written directly: what matters here is only that one did). */
  const checkReached = (order: Order) =>
    db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: order.orderId }, UpdateExpression: 'SET creditCheck = :passed', ExpressionAttributeValues: { ':passed': 'PASSED' } }));

  it('withdraws an order that this attempt wrote and nothing has happened to, and no other', async () => {
    const untouched = await stored(newOne('c', '2026-01-01T00:00:00.000Z'));
    const checked = await stored(newOne('c', '2026-01-01T00:00:00.000Z'));
    const earlierAttempt = await stored(newOne('c', '2026-01-01T00:00:00.000Z'));
    await checkReached(checked);
    for (const order of [untouched, checked, { ...earlierAttempt, createdAt: '2026-01-01T00:00:09.000Z' }, newOne('c', '2026-01-01T00:00:00.000Z')]) await orders.withdrawOrders([order]);
    expect(await orders.getOrder(untouched.orderId)).toBeUndefined();
    expect(await orders.getOrder(checked.orderId)).toBeDefined();
    expect(await orders.getOrder(earlierAttempt.orderId)).toBeDefined();
  });

  it('withdraws a request’s orders all at once, or, when any of them is not this attempt’s untouched order, none', async () => {
    const createdAt = '2026-01-01T00:00:00.000Z';
    const request = [newOne('c', createdAt), newOne('c', createdAt), newOne('c', createdAt)];
    expect(await orders.storeNewOrders(request, LATER)).toEqual({ stored: true });
    await orders.withdrawOrders(request);
    expect(await orders.getOrders(request.map((order) => order.orderId))).toEqual(new Map());

    const stillThere = [newOne('c', createdAt), newOne('c', createdAt)];
    expect(await orders.storeNewOrders(stillThere, LATER)).toEqual({ stored: true });
    await checkReached(stillThere[1] as Order);
    await orders.withdrawOrders(stillThere);
    expect([...(await orders.getOrders(stillThere.map((order) => order.orderId))).keys()].sort()).toEqual(stillThere.map((order) => order.orderId).sort());
    // Never stored at all: nothing to withdraw, and no error.
    await expect(orders.withdrawOrders([newOne('c', createdAt), newOne('c', createdAt)])).resolves.toBeUndefined();
  });

  it('fences the ids it withdrew: the withdrawn attempt’s own write cannot land there later, another attempt’s can', async () => {
    const attempt = [newOne('c', '2026-01-01T00:00:00.000Z'), newOne('c', '2026-01-01T00:00:00.000Z')];
    // The write was abandoned before it reached DynamoDB; the withdrawal got there first.
    await orders.withdrawOrders(attempt);
    expect(await orders.storeNewOrders(attempt, LATER)).toEqual({ stored: false, found: [undefined, undefined] });
    expect(await orders.getOrders(attempt.map((order) => order.orderId))).toEqual(new Map());
    expect(await orders.getOrder(attempt[0]?.orderId ?? '')).toBeUndefined();
    // A retry of the same request (same ids, its own createdAt) takes them.
    const retry = attempt.map((order) => ({ ...order, createdAt: '2026-01-01T00:00:05.000Z', updatedAt: '2026-01-01T00:00:05.000Z' }));
    expect(await orders.storeNewOrders(retry, LATER)).toEqual({ stored: true });
    expect([...(await orders.getOrders(retry.map((order) => order.orderId))).values()].map((order) => order.createdAt)).toEqual(retry.map(() => '2026-01-01T00:00:05.000Z'));
    const single = newOne('c', '2026-01-01T00:00:00.000Z');
    await orders.withdrawOrders([single]);
    expect(await orders.storeNewOrders([single], LATER)).toEqual({ stored: false, found: [undefined] });
  });

  it('rejects an order for a dead letter only while it is still where the message left it', async () => {
    const order = await stored(newOne());
    const subject = { orderId: order.orderId, status: OrderStatus.Pending, check: 'STOCK' as const };
    await orders.recordPassedCheck({ orderId: order.orderId, check: 'STOCK', passed: true, detail: 'stock ok' });
    expect(await orders.rejectForDeadLetter(subject, 'Rejected: dead letter')).toBe(false);
    expect(await orders.rejectForDeadLetter({ ...subject, check: 'CREDIT' }, 'Rejected: dead letter')).toBe(true);
    expect(await orders.getOrder(order.orderId)).toMatchObject({ status: 'REJECTED', logs: expect.arrayContaining(['Rejected: dead letter']) });
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

describe('the sweep index', () => {
  const due = async (order: Order, at = new Date().toISOString()) => {
    const found: string[] = [];
    for await (const orderId of orders.dueOrders(sweepShardOf(order.orderId), at)) found.push(orderId);
    return found.includes(order.orderId);
  };

  it('lists an open order in its shard once its time has come, and forgets it once it is final', async () => {
    const [customer, product] = [id('c'), id('p')];
    await accounts.set(customer, 1000);
    await stock.set(product, 1);
    const order = await readyOrder(customer, [{ productId: product, qty: 1 }], 100);
    expect(await due(order)).toBe(false);
    expect(await due(order, '3000-01-01T00:00:00.000Z')).toBe(true);
    await ledger.ship(order);
    expect(await due(order, '3000-01-01T00:00:00.000Z')).toBe(false);
  });

  it('forgets an order rejected for a failed check', async () => {
    const order = await stored(newOne());
    await orders.rejectForFailedCheck({ orderId: order.orderId, check: 'STOCK', passed: false, detail: 'Stock check failed' });
    expect(await due(order, '3000-01-01T00:00:00.000Z')).toBe(false);
  });

  it('brings an order’s next look forward to now, for orders that could not be announced', async () => {
    const order = await stored(newOne());
    await orders.sweepSoon([order.orderId, id('none')]);
    expect(await due(order)).toBe(true);
    expect(await orders.getForSweep(order.orderId)).toMatchObject({ order: { orderId: order.orderId }, nudges: 0 });
  });

  it('postpones the next look only while the order is as the sweeper saw it', async () => {
    const order = await stored(newOne(), '2026-01-01T00:05:00.000Z');
    const seen = { status: OrderStatus.Pending, sweepAt: '2026-01-01T00:05:00.000Z' };
    expect(await orders.postponeSweep(order.orderId, seen, { sweepAt: '2026-01-01T00:10:00.000Z', nudges: 1 })).toBe(true);
    expect(await orders.postponeSweep(order.orderId, seen, { sweepAt: '2026-01-01T00:15:00.000Z', nudges: 2 })).toBe(false);
    expect(await orders.getForSweep(order.orderId)).toMatchObject({ sweepAt: '2026-01-01T00:10:00.000Z', nudges: 1 });
  });

  it('takes a final order out of the index', async () => {
    const order = await stored(newOne(), '2026-01-01T00:05:00.000Z');
    await orders.rejectForDeadLetter({ orderId: order.orderId, status: OrderStatus.Pending }, 'Rejected');
    await t.db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: order.orderId }, UpdateExpression: 'SET sweepShard = :shard, sweepAt = :at', ExpressionAttributeValues: { ':shard': sweepShardOf(order.orderId), ':at': '2026-01-01T00:05:00.000Z' } }));
    expect(await orders.leaveSweepIndex(order.orderId, OrderStatus.Pending)).toBe(false);
    expect(await orders.leaveSweepIndex(order.orderId, OrderStatus.Rejected)).toBe(true);
    expect((await orders.getForSweep(order.orderId))?.sweepAt).toBeUndefined();
  });
});

describe('reading a dead-letter queue', () => {
  it('returns each message once, at most as many as asked, and leaves them all in the queue, visible', async () => {
    const sqs = new SQSClient({});
    const url = t.queueUrl('ShipOrderDeadLetterQueue');
    for (let index = 0; index < 12; index++) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ orderId: `dead-${index}` }) }));
    const letters = deadLetterQueue(sqs, url);
    const some = await letters.peek(5);
    expect(some).toHaveLength(5);
    const all = await letters.peek(100);
    expect(new Set(all.map((letter) => letter.body)).size).toBe(12);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '0' });
    await t.receiveAll('ShipOrderDeadLetterQueue');
  });
});
