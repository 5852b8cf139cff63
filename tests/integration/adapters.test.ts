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
import { nextCheckStep, type CheckUpdate } from '../../src/domain/checkResults';
import { newOrder, OrderStatus, type CheckResult, type Order, type OrderProgress } from '../../src/domain/order';
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

/** Counts the commands a client sends from now on, by name. */
function countCalls(client: { middlewareStack: SQSClient['middlewareStack'] | DynamoDBDocumentClient['middlewareStack'] }): () => Record<string, number> {
  const counts: Record<string, number> = {};
  const name = `count-${Math.random()}`;
  (client.middlewareStack as SQSClient['middlewareStack']).add(
    (next, context) => async (args) => {
      counts[String(context.commandName)] = (counts[String(context.commandName)] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => ({ ...counts });
}

let counter = 0;
const id = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
const LATER = '2999-01-01T00:00:00.000Z';
const newOne = (customerId = 'c', createdAt = new Date().toISOString()) => newOrder({ customerId, items: [{ productId: 'p', qty: 1 }], totalCents: 1 }, id('o'), createdAt);
/** Stores one new order that the sweeper looks at only at `sweepAt`. */
async function stored(order: Order, sweepAt = LATER): Promise<Order> {
  expect(await orders.storeNewOrders([order], sweepAt)).toEqual({ stored: true });
  return order;
}

const passed = (check: 'CREDIT' | 'STOCK'): Omit<CheckResult, 'orderId'> => ({ check, passed: true, detail: `${check} ok` });
const failed = (check: 'CREDIT' | 'STOCK'): Omit<CheckResult, 'orderId'> => ({ check, passed: false, detail: `${check} short` });
/** The write the order-update function makes for these results, decided from the order as given. */
function checkUpdate(order: OrderProgress, ...results: Omit<CheckResult, 'orderId'>[]): CheckUpdate {
  const step = nextCheckStep(order, results.map((result) => ({ ...result, orderId: 'any' })));
  if (step.kind !== 'update') throw new Error(`nothing to write for ${JSON.stringify(results)} on ${JSON.stringify(order)}`);
  return step.update;
}

async function readyOrder(customerId: string, items: { productId: string; qty: number }[], totalCents: number): Promise<Order> {
  const order = await stored(newOrder({ customerId, items, totalCents }, id('o'), new Date().toISOString()));
  expect(await orders.applyCheckUpdate(order.orderId, checkUpdate(order, passed('CREDIT'), passed('STOCK')))).toEqual({ applied: true });
  return { ...order, status: OrderStatus.ReadyToShip, creditCheck: 'PASSED', stockCheck: 'PASSED' };
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

  it('reads many products at once; an unknown one has no balance, and one that is no number fails only when asked for', async () => {
    const [a, b, garbled, missing] = [id('p'), id('p'), id('p'), id('missing')];
    await stock.set(a, 3);
    await stock.set(b, 0);
    await t.db.send(new UpdateCommand({ TableName: t.tableName('StockTable'), Key: { productId: garbled }, UpdateExpression: 'SET balance = :many', ExpressionAttributeValues: { ':many': 'many' } }));
    const calls = countCalls(db);
    const read = await stock.getMany([a, b, a, garbled, missing]);
    expect(calls()).toEqual({ BatchGetItemCommand: 1 });
    expect([read.get(a), read.get(b), read.get(missing)]).toEqual([3, 0, undefined]);
    expect(() => read.get(garbled)).toThrow(/not an integer/);
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
    const found = async () => {
      const read = await orders.getOrders(fresh.map((order) => order.orderId));
      return fresh.filter((order) => read.get(order.orderId)).length;
    };
    expect(await found()).toBe(0);
    expect(await orders.storeNewOrders(fresh, LATER)).toEqual({ stored: true });
    expect(await found()).toBe(2);
  });

  it('stores 25 orders in one transaction', async () => {
    const many = Array.from({ length: 25 }, () => newOne());
    expect(await orders.storeNewOrders(many, LATER)).toEqual({ stored: true });
    const read = await orders.getOrders(many.map((order) => order.orderId));
    expect(many.filter((order) => read.get(order.orderId))).toHaveLength(25);
  });

  it('reads many orders with as few reads as DynamoDB allows; an id no order can have fails only when asked for', async () => {
    const many = Array.from({ length: 230 }, () => newOne());
    for (let start = 0; start < many.length; start += 25) expect(await orders.storeNewOrders(many.slice(start, start + 25), LATER)).toEqual({ stored: true });
    const calls = countCalls(db);
    const found = await orders.getOrders([...many.map((order) => order.orderId), id('none'), 'k'.repeat(3000)]);
    expect(calls()).toEqual({ BatchGetItemCommand: 3 });
    expect(many.every((order) => found.get(order.orderId)?.createdAt === order.createdAt)).toBe(true);
    expect(found.get(id('none'))).toBeUndefined();
    expect(() => found.get('k'.repeat(3000))).toThrow(/cannot be a DynamoDB key/);
  });

  it('records one passed check while the other is missing, only once: a repeat decided from the same order gets the order back', async () => {
    const order = await stored(newOne());
    const update = checkUpdate(order, passed('CREDIT'));
    expect(await orders.applyCheckUpdate(order.orderId, update)).toEqual({ applied: true });
    expect(await orders.applyCheckUpdate(order.orderId, update)).toEqual({ applied: false, current: expect.objectContaining({ status: 'PENDING', creditCheck: 'PASSED' }) });
    expect((await orders.getOrder(order.orderId))?.logs).toEqual([order.logs[0], 'CREDIT ok']);
  });

  it('records both checks and moves the order to READY_TO_SHIP in one write, keeping it in the sweep index', async () => {
    const order = await stored(newOne());
    expect(await orders.applyCheckUpdate(order.orderId, checkUpdate(order, passed('STOCK'), passed('CREDIT')))).toEqual({ applied: true });
    expect(await orders.getForSweep(order.orderId)).toMatchObject({
      order: { status: 'READY_TO_SHIP', creditCheck: 'PASSED', stockCheck: 'PASSED', logs: [order.logs[0], 'STOCK ok', 'CREDIT ok', 'Ready to ship: credit and stock checks passed'] },
      sweepAt: LATER,
    });
  });

  it('moves an order on with the second check only while the first is still recorded as it was read; of two racing writes one wins', async () => {
    const order = await stored(newOne());
    const [first, second] = [checkUpdate(order, passed('CREDIT')), checkUpdate(order, passed('STOCK'))];
    const written = await Promise.all([orders.applyCheckUpdate(order.orderId, first), orders.applyCheckUpdate(order.orderId, second)]);
    expect(written.filter((outcome) => outcome.applied)).toHaveLength(1);
    const loser = written.find((outcome) => !outcome.applied);
    // Decided again from the order the losing write handed back, it records its check and moves the order on.
    const current = loser && !loser.applied ? loser.current : undefined;
    expect(current?.status).toBe('PENDING');
    const again = checkUpdate(current as Order, ...(current?.creditCheck ? [passed('STOCK')] : [passed('CREDIT')]));
    expect(again.to.status).toBe('READY_TO_SHIP');
    expect(await orders.applyCheckUpdate(order.orderId, again)).toEqual({ applied: true });
    expect((await orders.getOrder(order.orderId))?.status).toBe('READY_TO_SHIP');
  });

  it('rejects a PENDING order for a failed check and takes it out of the sweep index', async () => {
    const order = await stored(newOne());
    expect(await orders.applyCheckUpdate(order.orderId, checkUpdate(order, passed('CREDIT'), failed('STOCK')))).toEqual({ applied: true });
    expect(await orders.getForSweep(order.orderId)).toEqual({
      order: expect.objectContaining({ status: 'REJECTED', creditCheck: 'PASSED', stockCheck: 'FAILED', logs: [order.logs[0], 'CREDIT ok', 'STOCK short'] }),
      nudges: 0,
    });
  });

  it('does not reject an order that has moved on, and hands it back as it is', async () => {
    const order = await readyOrder('c', [{ productId: 'p', qty: 1 }], 1);
    expect(await orders.applyCheckUpdate(order.orderId, checkUpdate({ status: OrderStatus.Pending }, failed('CREDIT')))).toEqual({
      applied: false,
      current: expect.objectContaining({ orderId: order.orderId, status: 'READY_TO_SHIP' }),
    });
    expect((await orders.getOrder(order.orderId))?.status).toBe('READY_TO_SHIP');
  });

  it('writes nothing for an order that does not exist', async () => {
    const orderId = id('none');
    expect(await orders.applyCheckUpdate(orderId, checkUpdate({ status: OrderStatus.Pending }, passed('STOCK')))).toEqual({ applied: false });
    expect(await orders.getOrder(orderId)).toBeUndefined();
  });

  it('moves an order whose two checks were recorded apart (by an earlier version) to READY_TO_SHIP only once', async () => {
    const order = await stored(newOne());
    await orders.applyCheckUpdate(order.orderId, checkUpdate(order, passed('CREDIT')));
    await t.db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: order.orderId }, UpdateExpression: 'SET stockCheck = :passed', ExpressionAttributeValues: { ':passed': 'PASSED' } }));
    expect(await Promise.all([orders.markReadyToShip(order.orderId), orders.markReadyToShip(order.orderId)])).toEqual(expect.arrayContaining([true, false]));
    expect((await orders.getOrder(order.orderId))?.logs.at(-1)).toBe('Ready to ship: credit and stock checks passed');
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

  /** The orders stored under these orders' ids (a withdrawal's fence reads as none). */
  const storedOf = async (wanted: Order[]) => {
    const found = await orders.getOrders(wanted.map((order) => order.orderId));
    return wanted.flatMap((order) => found.get(order.orderId) ?? []);
  };

  it('withdraws a request’s orders all at once, or, when any of them is not this attempt’s untouched order, none', async () => {
    const createdAt = '2026-01-01T00:00:00.000Z';
    const request = [newOne('c', createdAt), newOne('c', createdAt), newOne('c', createdAt)];
    expect(await orders.storeNewOrders(request, LATER)).toEqual({ stored: true });
    await orders.withdrawOrders(request);
    expect(await storedOf(request)).toEqual([]);

    const stillThere = [newOne('c', createdAt), newOne('c', createdAt)];
    expect(await orders.storeNewOrders(stillThere, LATER)).toEqual({ stored: true });
    await checkReached(stillThere[1] as Order);
    await orders.withdrawOrders(stillThere);
    expect((await storedOf(stillThere)).map((order) => order.orderId).sort()).toEqual(stillThere.map((order) => order.orderId).sort());
    // Never stored at all: nothing to withdraw, and no error.
    await expect(orders.withdrawOrders([newOne('c', createdAt), newOne('c', createdAt)])).resolves.toEqual({ withdrawn: true });
  });

  it('fences the ids it withdrew: the withdrawn attempt’s own write cannot land there later, another attempt’s can', async () => {
    const attempt = [newOne('c', '2026-01-01T00:00:00.000Z'), newOne('c', '2026-01-01T00:00:00.000Z')];
    // The write was abandoned before it reached DynamoDB; the withdrawal got there first.
    await orders.withdrawOrders(attempt);
    expect(await orders.storeNewOrders(attempt, LATER)).toEqual({ stored: false, found: [undefined, undefined] });
    expect(await storedOf(attempt)).toEqual([]);
    expect(await orders.getOrder(attempt[0]?.orderId ?? '')).toBeUndefined();
    // A retry of the same request (same ids, its own createdAt) takes them.
    const retry = attempt.map((order) => ({ ...order, createdAt: '2026-01-01T00:00:05.000Z', updatedAt: '2026-01-01T00:00:05.000Z' }));
    expect(await orders.storeNewOrders(retry, LATER)).toEqual({ stored: true });
    expect((await storedOf(retry)).map((order) => order.createdAt)).toEqual(retry.map(() => '2026-01-01T00:00:05.000Z'));
    const single = newOne('c', '2026-01-01T00:00:00.000Z');
    await orders.withdrawOrders([single]);
    expect(await orders.storeNewOrders([single], LATER)).toEqual({ stored: false, found: [undefined] });
  });

  it('never fences an order another attempt answered, and hands back what holds the ids it could not withdraw', async () => {
    const createdAt = '2026-01-01T00:00:00.000Z';
    const request = [newOne('c', createdAt), newOne('c', createdAt)];
    expect(await orders.storeNewOrders(request, LATER)).toEqual({ stored: true });
    expect(await orders.markAnswered(request)).toBe(true);
    const left = await orders.withdrawOrders(request);
    expect(left).toEqual({ withdrawn: false, found: [expect.objectContaining({ orderId: request[0]?.orderId, createdAt }), expect.objectContaining({ orderId: request[1]?.orderId, createdAt })] });
    expect(await storedOf(request)).toHaveLength(2);
    const single = await stored(newOne('c', createdAt));
    expect(await orders.markAnswered([single])).toBe(true);
    expect(await orders.withdrawOrders([single])).toEqual({ withdrawn: false, found: [expect.objectContaining({ orderId: single.orderId })] });
  });

  it('marks nothing answered where a withdrawal got there first', async () => {
    const attempt = [newOne('c', '2026-01-01T00:00:00.000Z')];
    expect(await orders.withdrawOrders(attempt)).toEqual({ withdrawn: true });
    expect(await orders.markAnswered(attempt)).toBe(false);
    expect(await orders.getOrder(attempt[0]?.orderId ?? '')).toBeUndefined();
  });

  it('rejects an order for a dead letter only while it is still where the message left it', async () => {
    const order = await stored(newOne());
    const subject = { orderId: order.orderId, status: OrderStatus.Pending, check: 'STOCK' as const };
    await orders.applyCheckUpdate(order.orderId, checkUpdate(order, passed('STOCK')));
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
    expect(await ledger.ship(order)).toEqual({ shipped: false, notReadyToShip: true });
    expect((await accounts.get(customer))?.balance).toBe(900);
    expect((await stock.get(product))?.balance).toBe(4);
  });

  it('does nothing to an order not yet ready to ship', async () => {
    const [customer, product] = [await customerWith(1000), await stocked(5)];
    const order = await stored(newOrder({ customerId: customer, items: [{ productId: product, qty: 1 }], totalCents: 100 }, id('o'), new Date().toISOString()));
    expect(await ledger.ship(order)).toEqual({ shipped: false, notReadyToShip: true });
    expect([(await accounts.get(customer))?.balance, (await stock.get(product))?.balance, await statusOf(order.orderId)]).toEqual([1000, 5, 'PENDING']);
  });

  it.each([
    ['another total', (order: Order) => ({ ...order, totalCents: 1 })],
    ['another customer', (order: Order) => ({ ...order, customerId: 'someone-else' })],
    ['fewer items', (order: Order) => ({ ...order, items: order.items.slice(0, 1) })],
    ['another quantity', (order: Order) => ({ ...order, items: order.items.map((item) => ({ ...item, qty: item.qty + 1 })) })],
    ['another time of placement', (order: Order) => ({ ...order, createdAt: '2000-01-01T00:00:00.000Z' })],
  ])('charges nothing for a request that describes the order with %s, and hands back the stored order', async (_, describedAs) => {
    const [customer, first, second] = [await customerWith(1000), await stocked(5), await stocked(5)];
    const order = await readyOrder(customer, [{ productId: first, qty: 1 }, { productId: second, qty: 2 }], 100);
    expect(await ledger.ship(describedAs(order))).toEqual({ shipped: false, differs: await orders.getOrder(order.orderId) });
    expect([(await accounts.get(customer))?.balance, (await stock.get(first))?.balance, (await stock.get(second))?.balance, await statusOf(order.orderId)]).toEqual([1000, 5, 5, 'READY_TO_SHIP']);
    expect(await ledger.ship(order)).toEqual({ shipped: true });
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

  const bodiesOn = async (queue: string) => (await t.receiveAll(queue)).map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);

  it('sends a batch of check results 10 a call, and shipment requests that carry their order', async () => {
    const sqs = new SQSClient({});
    const calls = countCalls(sqs);
    const results = Array.from({ length: 23 }, (_, index) => ({ orderId: `o-${index}`, check: 'STOCK' as const, passed: false, detail: 'd' }));
    expect(await checkResultQueue(sqs, t.queueUrl('OrderUpdateQueue')).report(results)).toEqual(results.map(() => undefined));
    expect(calls()).toEqual({ SendMessageBatchCommand: 3 });
    expect((await bodiesOn('OrderUpdateQueue')).sort((a, b) => Number(String(a.orderId).slice(2)) - Number(String(b.orderId).slice(2)))).toEqual(results);
    const order = newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalCents: 18778 }, id('o'), '2026-01-01T00:00:00.000Z');
    expect(await shipmentQueue(sqs, t.queueUrl('ShipOrderQueue')).requestShipping([order])).toEqual([undefined]);
    expect(await bodiesOn('ShipOrderQueue')).toEqual([{ orderId: order.orderId, customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalAmount: '187.78', createdAt: '2026-01-01T00:00:00.000Z' }]);
  });

  it('resends the entries SQS failed, and reports only those it never took', async () => {
    const sqs = new SQSClient({});
    const calls = countCalls(sqs);
    // SQS takes no message with a character outside XML's (U+FFFF, which JSON leaves as it is): the batch partly fails on every try.
    const results = ['o-1', 'o-2', 'o-3'].map((orderId) => ({ orderId, check: 'CREDIT' as const, passed: true, detail: orderId === 'o-2' ? 'bad \uffff detail' : 'ok' }));
    const unsent = await checkResultQueue(sqs, t.queueUrl('OrderUpdateQueue')).report(results);
    expect(unsent.map((failure) => failure?.message)).toEqual([undefined, expect.stringMatching(/^InvalidMessageContents: /), undefined]);
    expect(calls()).toEqual({ SendMessageBatchCommand: 3 });
    expect((await bodiesOn('OrderUpdateQueue')).map((body) => body.orderId).sort()).toEqual(['o-1', 'o-3']);
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
    await orders.applyCheckUpdate(order.orderId, checkUpdate(order, failed('STOCK')));
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
