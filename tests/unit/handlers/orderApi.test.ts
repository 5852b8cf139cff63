import { ConditionalCheckFailedException, DynamoDBClient, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { derivedOrderId } from '../../../src/domain/orderId';
import { handler } from '../../../src/handlers/orderApi';
import { apiEvent, lambdaContext, orderBody } from '../../support/factories';
import { fakeIdempotencyTable, fakeOrderTable } from '../../support/fakeTables';

const db = mockClient(DynamoDBDocumentClient);
const idempotencyDb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

const invoke = async (input: Parameters<typeof apiEvent>[0], apiKeyId?: string) => {
  const event = apiEvent(input);
  if (apiKeyId) event.requestContext.identity = { ...event.requestContext.identity, apiKeyId };
  const response = await handler(event, lambdaContext('OrderApiFunction'));
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
};
const postOrder = (body: unknown, headers?: Record<string, string>, apiKeyId?: string) => invoke({ method: 'POST', resource: '/order', body, ...(headers ? { headers } : {}) }, apiKeyId);
const postOrders = (body: unknown, headers?: Record<string, string>) => invoke({ method: 'POST', resource: '/orders', body, ...(headers ? { headers } : {}) });

const connectionLost = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
/** Where a new order may be written: a free id, or one that another attempt withdrew (never one this attempt withdrew). */
const NEW_ORDER_CONDITION = 'attribute_not_exists(orderId) OR (#status = :withdrawn AND createdAt <> :createdAt)';
/** The fences that withdrawals put where orders were (or may have been) stored. */
const withdrawals = () => db.commandCalls(PutCommand).map((call) => call.args[0].input).filter((input) => input.Item?.status === 'WITHDRAWN');
const announcedIds = () => sns.commandCalls(PublishBatchCommand).flatMap((call) => (call.args[0].input.PublishBatchRequestEntries ?? []).map((entry) => (JSON.parse(entry.Message ?? '{}') as { orderId: string }).orderId));

let orderTable: ReturnType<typeof fakeOrderTable>;
let idempotencyTable: ReturnType<typeof fakeIdempotencyTable>;

beforeEach(() => {
  db.reset();
  idempotencyDb.reset();
  sns.reset();
  orderTable = fakeOrderTable(db);
  idempotencyTable = fakeIdempotencyTable(idempotencyDb);
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('POST /order', () => {
  it('stores a PENDING order with one conditional put, announces it and answers 202 with where to follow it', async () => {
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({ customerId: 'aaa789', totalAmount: 187.78, status: 'PENDING', items: orderBody().items });
    expect(response.headers?.Location).toBe(`/order/${String(response.json.orderId)}/status`);

    const [put] = db.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({ ConditionExpression: NEW_ORDER_CONDITION, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(put?.args[0].input.Item).toMatchObject({ orderId: response.json.orderId, status: 'PENDING', totalAmount: NumberValue.from('187.78'), sweepShard: expect.stringMatching(/^\d+$/) });
    // The sweeper first looks at it one OrderDeadlineSeconds (300) after it was placed.
    expect(Date.parse(String(put?.args[0].input.Item?.sweepAt)) - Date.parse(String(response.json.createdAt))).toBe(300_000);

    const [publish] = sns.commandCalls(PublishBatchCommand);
    expect(JSON.parse(publish?.args[0].input.PublishBatchRequestEntries?.[0]?.Message ?? '{}')).toEqual({
      orderId: response.json.orderId,
      customerId: 'aaa789',
      items: orderBody().items,
      totalAmount: '187.78',
    });
  });

  it.each([
    ['a missing customerId', { ...orderBody(), customerId: undefined }, 'customerId', 'is required'],
    ['a zero qty', orderBody({ items: [{ productId: '456', qty: 0 }] }), 'items[0].qty', 'must be >= 1'],
    ['a fractional qty', orderBody({ items: [{ productId: '456', qty: 1.5 }] }), 'items[0].qty', 'must be an integer'],
    ['three decimals', orderBody({ totalAmount: 1.005 }), 'totalAmount', 'must have at most 2 decimal places'],
    ['an unknown field', orderBody({ coupon: 'X' }), 'coupon', 'is not a known field'],
    ['a bad productId', orderBody({ items: [{ productId: 'a b', qty: 1 }] }), 'items[0].productId', 'may contain only letters, digits, - and _'],
    ['a repeated product', orderBody({ items: [{ productId: '1', qty: 1 }, { productId: '1', qty: 1 }] }), 'items[1].productId', expect.stringContaining('repeats')],
  ])('refuses an order with %s and stores nothing', async (_, body, path, message) => {
    const response = await postOrder(body);
    expect(response.statusCode).toBe(400);
    expect(response.json.errors).toEqual(expect.arrayContaining([{ path, message }]));
    expect(orderTable.items.size).toBe(0);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });

  it('refuses an empty Idempotency-Key with 400, rather than placing the order without one', async () => {
    const response = await postOrder(orderBody(), { 'Idempotency-Key': '' });
    expect(response.statusCode).toBe(400);
    expect(response.json.errors).toEqual(expect.arrayContaining([{ path: 'Idempotency-Key', message: expect.stringMatching(/at least 1 character/) }]));
    expect(orderTable.items.size).toBe(0);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await postOrder('{"customerId": ');
    expect(response).toMatchObject({ statusCode: 400, json: { message: 'The request body is not valid JSON.' } });
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const response = await postOrder(JSON.stringify({ ...orderBody(), pad: 'x'.repeat(70_000) }));
    expect(response.statusCode).toBe(413);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const response = await postOrder(orderBody(), { 'Content-Type': 'text/plain' });
    expect(response.statusCode).toBe(415);
  });

  it('answers 202 for a stored order it could not announce, and leaves it to the sweeper’s next run', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('SNS unavailable'));
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(202);
    const stored = orderTable.items.get(String(response.json.orderId));
    expect(stored?.status).toBe('PENDING');
    expect(Date.parse(String(stored?.sweepAt))).toBeLessThanOrEqual(Date.now());
    expect(withdrawals()).toHaveLength(0);
  });

  it('answers 202 even when neither announcing nor handing over to the sweeper works: the sweeper finds the order at its first look', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('SNS unavailable'));
    orderTable.failNext('Update', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(202);
    expect(orderTable.items.get(String(response.json.orderId))?.status).toBe('PENDING');
  });

  it('stores nothing when the request reached API Gateway too long ago for the answer to arrive before it gives up (29 s)', async () => {
    const event = apiEvent({ method: 'POST', resource: '/order', body: orderBody() });
    event.requestContext.requestTimeEpoch = Date.now() - 28_500;
    const response = await handler(event, lambdaContext('OrderApiFunction'));
    expect(response.statusCode).toBe(503);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('takes a request received longer ago than any invocation lasts for an event replayed from a file, and places it', async () => {
    const event = apiEvent({ method: 'POST', resource: '/order', body: orderBody() });
    event.requestContext.requestTimeEpoch = Date.parse('2015-04-09T12:34:56.000Z');
    expect((await handler(event, lambdaContext('OrderApiFunction'))).statusCode).toBe(202);
  });

  it('answers 503 and withdraws the order when its write’s outcome is unknown, fencing its id so that a late write cannot land', async () => {
    orderTable.failNext('Put', connectionLost());
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(503);
    expect(response.json.message).toBe('The orders could not be stored; none of them will be processed. Retry, with the same Idempotency-Key if you sent one.');
    const [withdrawal] = withdrawals();
    expect(withdrawal?.ConditionExpression).toBe(
      'attribute_not_exists(orderId) OR #status = :withdrawn OR (#status = :pending AND createdAt = :createdAt AND attribute_not_exists(creditCheck) AND attribute_not_exists(stockCheck) AND attribute_not_exists(answeredByReplay))',
    );
    expect([...orderTable.items.values()].map((item) => item.status)).toEqual(['WITHDRAWN']);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });

  it('never says none will be processed when the orders may exist: the write’s outcome is unknown and withdrawing failed too', async () => {
    for (let call = 0; call < 6; call++) orderTable.failNext('Put', connectionLost());
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(503);
    expect(response.json.message).not.toMatch(/none of them will be processed/);
    expect(response.json.message).toMatch(/may or may not have been stored/);
  });

  it('takes an SDK retry’s condition failure on its own order as stored (a dropped connection after the write)', async () => {
    // The write landed but its answer was lost; the SDK sent it again and found the order there.
    db.on(PutCommand).callsFakeOnce(async (input: { Item: Record<string, unknown> }) => {
      orderTable.items.set(String(input.Item.orderId), input.Item);
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(input.Item) });
    });
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(202);
    expect(announcedIds()).toEqual([response.json.orderId]);
  });

  it('answers 500 without internals when DynamoDB refuses the request itself', async () => {
    db.on(GetCommand).rejects(Object.assign(new Error('ResourceNotFoundException: Requested resource not found: Table: orders'), { name: 'ResourceNotFoundException' }));
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}', path: '/order/o-1', pathParameters: { orderId: 'o-1' } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/orders|ResourceNotFound|at /);
  });
});

describe('POST /orders', () => {
  it('stores every order in one transaction of conditional puts, in request order, and announces them in one batch', async () => {
    const response = await postOrders({ orders: [orderBody(), orderBody({ customerId: 'bbb968', totalAmount: 30.1 })] });
    expect(response.statusCode).toBe(202);
    const orders = response.json.orders as { customerId: string }[];
    expect(orders.map((o) => o.customerId)).toEqual(['aaa789', 'bbb968']);
    const [transaction] = db.commandCalls(TransactWriteCommand);
    expect(transaction?.args[0].input.TransactItems?.map((entry) => entry.Put?.ConditionExpression)).toEqual([NEW_ORDER_CONDITION, NEW_ORDER_CONDITION]);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
  });

  it('publishes 25 orders in batches of 10', async () => {
    const response = await postOrders({ orders: Array.from({ length: 25 }, () => orderBody()) });
    expect(response.statusCode).toBe(202);
    expect(sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
  });

  it('answers 202 when the second batch of announcements fails, and leaves only those orders to the sweeper', async () => {
    sns.on(PublishBatchCommand).resolvesOnce({ Successful: [], Failed: [] }).rejects(new Error('SNS unavailable'));
    const response = await postOrders({ orders: Array.from({ length: 15 }, () => orderBody()) });
    expect(response.statusCode).toBe(202);
    const ids = (response.json.orders as { orderId: string }[]).map((order) => order.orderId);
    const handedOver = db.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.orderId);
    expect(handedOver.sort()).toEqual(ids.slice(10).sort());
    expect(orderTable.items.size).toBe(15);
  });

  it('retries a transaction that lost a race with another one', async () => {
    orderTable.failNext('TransactWrite', new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] }));
    const response = await postOrders({ orders: [orderBody(), orderBody()] });
    expect(response.statusCode).toBe(202);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('refuses the whole batch when one order is bad, naming its index', async () => {
    const response = await postOrders({ orders: [orderBody(), orderBody({ items: [] })] });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toMatch(/^Order #1 is invalid/);
    expect(response.json.errors).toEqual([{ path: 'orders[1].items', message: expect.any(String) }]);
    expect(orderTable.items.size).toBe(0);
  });

  it('refuses more than 25 orders', async () => {
    const response = await postOrders({ orders: Array.from({ length: 26 }, () => orderBody()) });
    expect(response.statusCode).toBe(400);
  });
});

describe('a retry with the same Idempotency-Key and body', () => {
  const key = { 'Idempotency-Key': 'checkout-7' };
  const expectedId = derivedOrderId({ caller: null, route: 'placeOrder', key: 'checkout-7' }, 0);

  it('names the order after the key, so every attempt of the request names the same order', async () => {
    const response = await postOrder(orderBody(), key);
    expect(response.json.orderId).toBe(expectedId);
  });

  it('after an answer: returns the first answer again, and stores and publishes nothing new', async () => {
    const first = await postOrder(orderBody(), key);
    const again = await postOrder(orderBody(), key);
    expect(again).toMatchObject({ statusCode: 202, json: first.json });
    expect(db.commandCalls(PutCommand)).toHaveLength(1);
    expect(announcedIds()).toEqual([expectedId]);
  });

  it('after a 503: stores the order the first attempt could not, where that attempt left its fence', async () => {
    orderTable.failNext('Put', connectionLost());
    expect((await postOrder(orderBody(), key)).statusCode).toBe(503);
    expect(orderTable.items.get(expectedId)?.status).toBe('WITHDRAWN');
    // The retry is a later attempt, with a createdAt of its own (only the clock is faked).
    jest.useFakeTimers({ doNotFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      jest.setSystemTime(Date.now() + 1000);
      const retry = await postOrder(orderBody(), key);
      expect(retry).toMatchObject({ statusCode: 202, json: { orderId: expectedId } });
    } finally {
      jest.useRealTimers();
    }
    expect([...orderTable.items.keys()]).toEqual([expectedId]);
    expect(orderTable.items.get(expectedId)?.status).toBe('PENDING');
  });

  it('after a crash or timeout that left the order stored but unannounced: answers it as placed and announces it', async () => {
    const first = await postOrder(orderBody(), key);
    // The first invocation died before it answered: its idempotency record is still in progress, and expires.
    idempotencyTable.records.clear();
    sns.resetHistory();
    const retry = await postOrder(orderBody(), key);
    expect(retry).toMatchObject({ statusCode: 202, json: { orderId: expectedId, createdAt: first.json.createdAt, status: 'PENDING' } });
    expect(orderTable.items.size).toBe(1);
    expect(announcedIds()).toEqual([expectedId]);
  });

  it('while the first attempt still runs: 409, retry in a moment', async () => {
    idempotencyTable.failNext('UpdateItem', new Error('DynamoDB unavailable'));
    await postOrder(orderBody(), key);
    const meanwhile = await postOrder(orderBody(), key);
    expect(meanwhile.statusCode).toBe(409);
    expect(meanwhile.json.message).toMatch(/still being processed/);
  });

  it('after the first attempt could not save its idempotency record: the first answers 202 anyway, the retry finds the same order', async () => {
    idempotencyTable.failNext('UpdateItem', new Error('DynamoDB unavailable'));
    const first = await postOrder(orderBody(), key);
    expect(first).toMatchObject({ statusCode: 202, json: { orderId: expectedId } });
    // Its record stays in progress until the invocation's time is up; then a retry runs again.
    idempotencyTable.expireInProgress();
    const retry = await postOrder(orderBody(), key);
    expect(retry).toMatchObject({ statusCode: 202, json: { orderId: expectedId, createdAt: first.json.createdAt } });
    expect(orderTable.items.size).toBe(1);
  });

  it('when the idempotency store is down: places the order all the same, under the same id', async () => {
    idempotencyTable.failNext('PutItem', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const first = await postOrder(orderBody(), key);
    expect(first).toMatchObject({ statusCode: 202, json: { orderId: expectedId } });
    const retry = await postOrder(orderBody(), key);
    expect(retry.json.orderId).toBe(expectedId);
    expect(orderTable.items.size).toBe(1);
  });

  it('of /orders after a crash: finds every order of the transaction and answers them in request order', async () => {
    const body = { orders: [orderBody(), orderBody({ customerId: 'bbb968', totalAmount: 30.1 })] };
    const first = await postOrders(body, key);
    idempotencyTable.records.clear();
    const retry = await postOrders(body, key);
    expect(retry).toMatchObject({ statusCode: 202, json: first.json });
    expect(orderTable.items.size).toBe(2);
  });
});

describe('the same Idempotency-Key with another body', () => {
  const key = { 'Idempotency-Key': 'checkout-8' };

  it('is refused with 409 while the first answer is kept', async () => {
    await postOrder(orderBody({ totalAmount: 1 }), key);
    const conflict = await postOrder(orderBody({ totalAmount: 2 }), key);
    expect(conflict.statusCode).toBe(409);
    expect(orderTable.items.size).toBe(1);
  });

  it('is refused with 409 when the idempotency record is gone but the key’s order exists', async () => {
    await postOrder(orderBody({ totalAmount: 1 }), key);
    idempotencyTable.records.clear();
    const conflict = await postOrder(orderBody({ totalAmount: 2 }), key);
    expect(conflict).toMatchObject({ statusCode: 409, json: { message: expect.stringMatching(/already used with a different request body/) } });
    expect([...orderTable.items.values()].map((item) => String(item.totalAmount))).toEqual(['1.00']);
  });

  it('of two callers (API keys) never collide', async () => {
    const a = await postOrder(orderBody({ totalAmount: 1 }), key, 'api-key-a');
    const b = await postOrder(orderBody({ totalAmount: 2 }), key, 'api-key-b');
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json.orderId).not.toBe(b.json.orderId);
  });
});

describe('order reads', () => {
  const item = {
    orderId: 'o-1',
    customerId: 'aaa789',
    items: [{ productId: '456', qty: NumberValue.from('1') }],
    totalAmount: NumberValue.from('187.78'),
    status: 'SHIPPED',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    logs: ['Order received', 'Shipped: charged 187.78, stock deducted'],
  };

  it('returns an order status with its logs in order', async () => {
    orderTable.items.set('o-1', item);
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}/status', path: '/order/o-1/status', pathParameters: { orderId: 'o-1' } });
    expect(response).toMatchObject({ statusCode: 200, json: { orderId: 'o-1', status: 'SHIPPED', logs: item.logs } });
  });

  it('returns the whole order with exact amounts', async () => {
    orderTable.items.set('o-1', item);
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}', path: '/order/o-1', pathParameters: { orderId: 'o-1' } });
    expect(response.json).toMatchObject({ orderId: 'o-1', totalAmount: 187.78, items: [{ productId: '456', qty: 1 }] });
  });

  it('answers 404 for an unknown order', async () => {
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}', path: '/order/nope', pathParameters: { orderId: 'nope' } });
    expect(response.statusCode).toBe(404);
  });

  it('answers 405 with Allow for a method the path does not have', async () => {
    const response = await invoke({ method: 'DELETE', resource: '/order/{orderId}', path: '/order/o-1', pathParameters: { orderId: 'o-1' } });
    expect(response.statusCode).toBe(405);
    expect(response.headers?.Allow).toBe('GET');
  });
});
