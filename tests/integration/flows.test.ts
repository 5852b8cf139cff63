// The whole order journey through the real functions, the real SNS -> SQS fan-out and DynamoDB
// Local; each queue is delivered by hand so every step can be observed and repeated.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { orderStore } from '../../src/adapters/orderStore';
import { nextCheckStep } from '../../src/domain/checkResults';
import { toCents } from '../../src/domain/money';
import { newOrder } from '../../src/domain/order';
import type { SweepSummary } from '../../src/usecases/sweepRun';
import { apiEvent, checkResult, lambdaContext, orderBody } from '../support/factories';
import { createTestStack, type TestStack } from './support/testStack';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let t: TestStack;

beforeAll(async () => {
  t = await createTestStack();
});

const api = async (input: Parameters<typeof apiEvent>[0], fn = 'OrderApiFunction') => {
  const response = await t.handler<ApiHandler>(fn)(apiEvent(input), lambdaContext(fn));
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
};
const setAccount = (customerId: string, balance: number) => api({ method: 'POST', resource: '/account', body: { customerId, balance } }, 'AccountUpdateFunction');
const setStock = (productId: string, balance: number) => api({ method: 'POST', resource: '/stock', body: { productId, balance } }, 'StockUpdateFunction');
/** A balance as its exact decimal, normalised (DynamoDB may keep a scale: 90.00). */
const balanceOf = async (table: string, key: Record<string, string>) => {
  const stored = (await t.db.send(new GetCommand({ TableName: t.tableName(table), Key: key }))).Item?.balance as { value: string } | undefined;
  return stored === undefined ? undefined : String(toCents(stored.value) / 100);
};
const orderOf = async (orderId: string) => (await t.db.send(new GetCommand({ TableName: t.tableName('OrderTable'), Key: { orderId } }))).Item;
const ordersOf = async (customerId: string) =>
  ((await t.db.send(new ScanCommand({ TableName: t.tableName('OrderTable'), ConsistentRead: true }))).Items ?? []).filter((item) => item.customerId === customerId);
const sweep = () => t.handler<(event: object, context: Context) => Promise<SweepSummary>>('OrderSweeperFunction')({}, lambdaContext('OrderSweeperFunction'));
/** What a crash after the first attempt stored its orders leaves behind: no idempotency record. */
async function forgetIdempotencyRecords() {
  const { Items = [] } = await t.db.send(new ScanCommand({ TableName: t.tableName('IdempotencyTable') }));
  for (const item of Items) await t.db.send(new DeleteCommand({ TableName: t.tableName('IdempotencyTable'), Key: { id: item.id } }));
}

/** Runs every queue once, in pipeline order, with optional duplicate delivery at each hop. */
async function runPipeline(options: { deliverTwice?: boolean } = {}) {
  await t.drain('BalanceCheckerQueue', 'BalanceCheckerFunction', options);
  await t.drain('StockCheckerQueue', 'StockCheckerFunction', options);
  await t.drain('OrderUpdateQueue', 'OrderUpdateFunction', options);
  await t.drain('ShipOrderQueue', 'ShipOrderFunction', options);
}

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

describe('an order through the pipeline', () => {
  it('ships an order with enough credit and stock and deducts exactly what it cost', async () => {
    const [customer, p1, p2] = [unique('c'), unique('p'), unique('p')];
    await setAccount(customer, 1000);
    await setStock(p1, 100);
    await setStock(p2, 100);
    const placed = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: customer, items: [{ productId: p1, qty: 1 }, { productId: p2, qty: 2 }], totalAmount: 187.78 }) });
    expect(placed.statusCode).toBe(202);

    await runPipeline();

    const order = await orderOf(String(placed.json.orderId));
    expect(order?.status).toBe('SHIPPED');
    expect(order?.logs).toEqual([
      'Order received: 2 products, 3 units, total 187.78',
      expect.stringMatching(/^(Credit|Stock) check passed/),
      expect.stringMatching(/^(Credit|Stock) check passed/),
      'Ready to ship: credit and stock checks passed',
      'Shipped: charged 187.78, stock deducted',
    ]);
    expect(await balanceOf('AccountTable', { customerId: customer })).toBe('812.22');
    expect(await balanceOf('StockTable', { productId: p1 })).toBe('99');
    expect(await balanceOf('StockTable', { productId: p2 })).toBe('98');
  });

  it('rejects an order without enough stock, logs why, and leaves balances untouched', async () => {
    const [customer, product] = [unique('c'), unique('p')];
    await setAccount(customer, 50);
    await setStock(product, 0);
    const placed = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: customer, items: [{ productId: product, qty: 1 }], totalAmount: 10 }) });

    await runPipeline();

    const order = await orderOf(String(placed.json.orderId));
    expect(order?.status).toBe('REJECTED');
    expect(order?.logs).toContain(`Stock check failed: product ${product} has 0, needs 1`);
    expect(await balanceOf('AccountTable', { customerId: customer })).toBe('50');
    expect(await balanceOf('StockTable', { productId: product })).toBe('0');
  });

  it('rejects an order whose customer has no account', async () => {
    const product = unique('p');
    await setStock(product, 5);
    const placed = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: unique('nobody'), items: [{ productId: product, qty: 1 }], totalAmount: 1 }) });
    await runPipeline();
    const order = await orderOf(String(placed.json.orderId));
    expect(order?.status).toBe('REJECTED');
    expect(order?.logs).toEqual(expect.arrayContaining([expect.stringMatching(/^Credit check failed: customer nobody-\w+ has no account$/)]));
    expect(await balanceOf('StockTable', { productId: product })).toBe('5');
  });

  it('ends in the same state when every message is delivered twice', async () => {
    const [customer, product] = [unique('c'), unique('p')];
    await setAccount(customer, 0.3);
    await setStock(product, 2);
    const first = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: customer, items: [{ productId: product, qty: 1 }], totalAmount: 0.1 }) });
    const second = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: customer, items: [{ productId: product, qty: 1 }], totalAmount: 0.2 }) });

    await runPipeline({ deliverTwice: true });
    await runPipeline({ deliverTwice: true }); // repeated shipment requests from the duplicates

    expect((await orderOf(String(first.json.orderId)))?.status).toBe('SHIPPED');
    expect((await orderOf(String(second.json.orderId)))?.status).toBe('SHIPPED');
    expect((await orderOf(String(first.json.orderId)))?.logs).toHaveLength(5);
    expect(await balanceOf('AccountTable', { customerId: customer })).toBe('0');
    expect(await balanceOf('StockTable', { productId: product })).toBe('0');
  });

  it('ships exactly one of two orders racing for the last unit', async () => {
    const [a, b, product] = [unique('c'), unique('c'), unique('p')];
    await setAccount(a, 100);
    await setAccount(b, 100);
    await setStock(product, 1);
    const placed = await Promise.all(
      [a, b].map((customerId) => api({ method: 'POST', resource: '/order', body: orderBody({ customerId, items: [{ productId: product, qty: 1 }], totalAmount: 10 }) })),
    );
    // Both pass their checks while the unit is still there; only shipping can tell them apart.
    await t.drain('BalanceCheckerQueue', 'BalanceCheckerFunction');
    await t.drain('StockCheckerQueue', 'StockCheckerFunction');
    await t.drain('OrderUpdateQueue', 'OrderUpdateFunction');
    await t.drain('ShipOrderQueue', 'ShipOrderFunction');

    const orders = await Promise.all(placed.map((p) => orderOf(String(p.json.orderId))));
    expect(orders.map((o) => o?.status).sort()).toEqual(['REJECTED', 'SHIPPED']);
    const rejected = orders.find((o) => o?.status === 'REJECTED');
    expect(rejected?.logs).toContain(`Rejected at shipping: insufficient stock for product ${product}`);
    expect(await balanceOf('StockTable', { productId: product })).toBe('0');
    const balances = [await balanceOf('AccountTable', { customerId: a }), await balanceOf('AccountTable', { customerId: b })].sort();
    expect(balances).toEqual(['100', '90']);
  });

  it('ships the orders a batch of shipment requests holds as far as the stock goes, none twice', async () => {
    const product = unique('p');
    await setStock(product, 3);
    const customers = [unique('c'), unique('c'), unique('c'), unique('c'), unique('c')];
    for (const customerId of customers) await setAccount(customerId, 100);
    const placed = await api({ method: 'POST', resource: '/orders', body: { orders: customers.map((customerId) => orderBody({ customerId, items: [{ productId: product, qty: 1 }], totalAmount: 10 })) } });
    await t.drain('BalanceCheckerQueue', 'BalanceCheckerFunction');
    await t.drain('StockCheckerQueue', 'StockCheckerFunction');
    await t.drain('OrderUpdateQueue', 'OrderUpdateFunction');
    const { delivered } = await t.drain('ShipOrderQueue', 'ShipOrderFunction', { deliverTwice: true });
    expect(delivered).toHaveLength(5);

    const orders = await Promise.all((placed.json.orders as { orderId: string }[]).map(({ orderId }) => orderOf(orderId)));
    expect(orders.map((order) => order?.status).sort()).toEqual(['REJECTED', 'REJECTED', 'SHIPPED', 'SHIPPED', 'SHIPPED']);
    expect(await balanceOf('StockTable', { productId: product })).toBe('0');
    const balances = await Promise.all(customers.map((customerId) => balanceOf('AccountTable', { customerId })));
    expect(balances.sort()).toEqual(['100', '100', '90', '90', '90']);
  });

  it('ships an order as it is stored whatever a shipment request says of it, and a request that names only the order too', async () => {
    const [customer, product] = [unique('c'), unique('p')];
    await setAccount(customer, 100);
    await setStock(product, 10);
    const placed = await api({ method: 'POST', resource: '/orders', body: { orders: [1, 2].map((qty) => orderBody({ customerId: customer, items: [{ productId: product, qty }], totalAmount: 10 * qty })) } });
    const [wrong, bare] = (placed.json.orders as { orderId: string }[]).map(({ orderId }) => orderId);
    await t.drain('BalanceCheckerQueue', 'BalanceCheckerFunction');
    await t.drain('StockCheckerQueue', 'StockCheckerFunction');
    await t.drain('OrderUpdateQueue', 'OrderUpdateFunction');
    await t.receiveAll('ShipOrderQueue'); // the function's own requests, set aside
    // By hand: one request that understates the order, and one as a version before requests carried their order sent it.
    const understated = { orderId: wrong, customerId: customer, items: [{ productId: product, qty: 1 }], totalAmount: '0.01', createdAt: '2000-01-01T00:00:00.000Z' };
    for (const body of [understated, { orderId: bare }]) await t.sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl('ShipOrderQueue'), MessageBody: JSON.stringify(body) }));
    expect((await t.drain('ShipOrderQueue', 'ShipOrderFunction')).failed).toEqual([]);

    expect([(await orderOf(String(wrong)))?.status, (await orderOf(String(bare)))?.status]).toEqual(['SHIPPED', 'SHIPPED']);
    expect(await balanceOf('AccountTable', { customerId: customer })).toBe('70');
    expect(await balanceOf('StockTable', { productId: product })).toBe('7');
  });

  it('dead-letters nothing and rejects nothing when a check result arrives for an unknown order', async () => {
    await t.sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl('OrderUpdateQueue'), MessageBody: JSON.stringify({ orderId: 'missing', check: 'CREDIT', passed: true, detail: 'x' }) }));
    const { failed } = await t.drain('OrderUpdateQueue', 'OrderUpdateFunction');
    expect(failed).toEqual([]);
    expect(await orderOf('missing')).toBeUndefined();
  });
});

describe('idempotent order placement', () => {
  it('returns the first answer for the same key and body, and stores one order', async () => {
    const body = orderBody({ customerId: unique('c') });
    const headers = { 'Idempotency-Key': unique('key') };
    const first = await api({ method: 'POST', resource: '/order', body, headers });
    const again = await api({ method: 'POST', resource: '/order', body, headers });
    expect(again.statusCode).toBe(202);
    expect(again.json.orderId).toBe(first.json.orderId);
    const announced = await t.receiveAll('BalanceCheckerQueue');
    expect(announced.filter((m) => JSON.parse(m.Body ?? '{}').customerId === body.customerId)).toHaveLength(1);
  });

  it('refuses the same key with a different body with 409', async () => {
    const headers = { 'Idempotency-Key': unique('key') };
    await api({ method: 'POST', resource: '/order', body: orderBody({ totalAmount: 1 }), headers });
    const conflict = await api({ method: 'POST', resource: '/order', body: orderBody({ totalAmount: 2 }), headers });
    expect(conflict.statusCode).toBe(409);
  });

  it('after a crash that lost the idempotency record, answers a retry with the stored order and stores no second one', async () => {
    const body = orderBody({ customerId: unique('c') });
    const headers = { 'Idempotency-Key': unique('key') };
    const first = await api({ method: 'POST', resource: '/order', body, headers });
    await forgetIdempotencyRecords();
    const again = await api({ method: 'POST', resource: '/order', body, headers });
    expect(again).toMatchObject({ statusCode: 202, json: { orderId: first.json.orderId, createdAt: first.json.createdAt, status: 'PENDING' } });
    expect(await ordersOf(body.customerId)).toHaveLength(1);
  });

  it('answers a retry of /orders with every order of the first attempt, in request order', async () => {
    const customers = [unique('c'), unique('c')];
    const body = { orders: customers.map((customerId) => orderBody({ customerId })) };
    const headers = { 'Idempotency-Key': unique('key') };
    const first = await api({ method: 'POST', resource: '/orders', body, headers });
    await forgetIdempotencyRecords();
    const again = await api({ method: 'POST', resource: '/orders', body, headers });
    expect(again).toMatchObject({ statusCode: 202, json: first.json });
    for (const customerId of customers) expect(await ordersOf(customerId)).toHaveLength(1);
  });

  it('refuses the key with another body with 409 when the record is gone but its order exists', async () => {
    const headers = { 'Idempotency-Key': unique('key') };
    const customerId = unique('c');
    await api({ method: 'POST', resource: '/order', body: orderBody({ customerId, totalAmount: 1 }), headers });
    await forgetIdempotencyRecords();
    const conflict = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId, totalAmount: 2 }), headers });
    expect(conflict.statusCode).toBe(409);
    expect((await ordersOf(customerId)).map((order) => String((order.totalAmount as { value: string }).value))).toEqual(['1']);
  });

  it('keeps keys of /order and /orders apart', async () => {
    const headers = { 'Idempotency-Key': unique('key') };
    const single = await api({ method: 'POST', resource: '/order', body: orderBody(), headers });
    const batch = await api({ method: 'POST', resource: '/orders', body: { orders: [orderBody()] }, headers });
    expect(batch.statusCode).toBe(202);
    expect((batch.json.orders as { orderId: string }[])[0]?.orderId).not.toBe(single.json.orderId);
  });
});

describe('the sweeper', () => {
  const PAST = '2000-01-01T00:00:00.000Z';
  const store = () => orderStore(t.db, t.tableName('OrderTable'));

  async function stockedCustomer() {
    const [customer, product] = [unique('c'), unique('p')];
    await setAccount(customer, 100);
    await setStock(product, 10);
    return { customer, product };
  }

  it('announces an order that was stored but never announced, and the pipeline ships it', async () => {
    const { customer, product } = await stockedCustomer();
    const order = newOrder({ customerId: customer, items: [{ productId: product, qty: 1 }], totalCents: 1000 }, unique('o'), new Date().toISOString());
    await store().storeNewOrders([order], PAST);
    expect((await sweep()).announced).toBeGreaterThanOrEqual(1);
    await runPipeline();
    expect((await orderOf(order.orderId))?.status).toBe('SHIPPED');
  });

  it('moves on an order whose checks both passed when the step after them was lost (as a version that recorded them apart could leave it), instead of rejecting it', async () => {
    const { customer, product } = await stockedCustomer();
    const order = newOrder({ customerId: customer, items: [{ productId: product, qty: 1 }], totalCents: 1000 }, unique('o'), new Date().toISOString());
    await store().storeNewOrders([order], PAST);
    await t.db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: order.orderId }, UpdateExpression: 'SET creditCheck = :passed, stockCheck = :passed', ExpressionAttributeValues: { ':passed': 'PASSED' } }));
    expect((await sweep()).markedReadyToShip).toBeGreaterThanOrEqual(1);
    await t.drain('ShipOrderQueue', 'ShipOrderFunction');
    expect((await orderOf(order.orderId))?.status).toBe('SHIPPED');
  });

  it('rejects an order whose credit check message was dead-lettered, saying so, and leaves the message in the dead-letter queue', async () => {
    const { customer, product } = await stockedCustomer();
    const placed = await api({ method: 'POST', resource: '/order', body: orderBody({ customerId: customer, items: [{ productId: product, qty: 1 }], totalAmount: 10 }) });
    // What SQS does after MaxReceiveCount failed deliveries: the message moves to the dead-letter queue.
    const [message] = (await t.receiveAll('BalanceCheckerQueue')).filter((m) => JSON.parse(m.Body ?? '{}').orderId === placed.json.orderId);
    await t.sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl('BalanceCheckerDeadLetterQueue'), MessageBody: message?.Body ?? '' }));
    await t.drain('StockCheckerQueue', 'StockCheckerFunction');
    await t.drain('OrderUpdateQueue', 'OrderUpdateFunction');

    expect((await sweep()).rejectedForDeadLetters).toBe(1);
    const order = await orderOf(String(placed.json.orderId));
    expect(order?.status).toBe('REJECTED');
    expect(order?.logs.at(-1)).toBe('Rejected: its credit check failed 5 times and its message was dead-lettered (BalanceCheckerDeadLetterQueue)');
    expect((await sweep()).rejectedForDeadLetters).toBe(0);
    expect((await t.receiveAll('BalanceCheckerDeadLetterQueue')).map((m) => m.Body)).toEqual([message?.Body]);
  });

  it('asks again for the shipment of an order that waited in READY_TO_SHIP, never rejecting it for waiting', async () => {
    const { customer, product } = await stockedCustomer();
    const order = newOrder({ customerId: customer, items: [{ productId: product, qty: 1 }], totalCents: 1000 }, unique('o'), PAST);
    await store().storeNewOrders([order], PAST);
    const bothPassed = nextCheckStep(order, [checkResult({ orderId: order.orderId, check: 'CREDIT' }), checkResult({ orderId: order.orderId, check: 'STOCK' })]);
    if (bothPassed.kind !== 'update') throw new Error('both checks passed should move the order on');
    await store().applyCheckUpdate(order.orderId, bothPassed.update);
    expect((await sweep()).shippingRequested).toBeGreaterThanOrEqual(1);
    await t.drain('ShipOrderQueue', 'ShipOrderFunction');
    expect((await orderOf(order.orderId))?.status).toBe('SHIPPED');
  });
});
