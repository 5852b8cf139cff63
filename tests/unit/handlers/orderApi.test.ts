import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../src/handlers/orderApi';
import { apiEvent, lambdaContext, orderBody } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);
const idempotencyDb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

const invoke = async (input: Parameters<typeof apiEvent>[0]) => {
  const response = await handler(apiEvent(input), lambdaContext('OrderApiFunction'));
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
};
const postOrder = (body: unknown, headers?: Record<string, string>) => invoke({ method: 'POST', resource: '/order', body, ...(headers ? { headers } : {}) });
const postOrders = (body: unknown) => invoke({ method: 'POST', resource: '/orders', body });

beforeEach(() => {
  db.reset();
  idempotencyDb.reset();
  sns.reset();
  db.on(BatchWriteCommand).resolves({});
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('POST /order', () => {
  it('stores a PENDING order, announces it and answers 202 with where to follow it', async () => {
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({ customerId: 'aaa789', totalAmount: 187.78, status: 'PENDING', items: orderBody().items });
    expect(response.headers?.Location).toBe(`/order/${String(response.json.orderId)}/status`);

    const [write] = db.commandCalls(BatchWriteCommand);
    const stored = write?.args[0].input.RequestItems?.orders?.[0]?.PutRequest?.Item;
    expect(stored).toMatchObject({ orderId: response.json.orderId, status: 'PENDING', totalAmount: NumberValue.from('187.78') });

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
    expect(db.commandCalls(BatchWriteCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });

  it('refuses an empty Idempotency-Key with 400, rather than placing the order without one', async () => {
    const response = await postOrder(orderBody(), { 'Idempotency-Key': '' });
    expect(response.statusCode).toBe(400);
    expect(response.json.errors).toEqual(expect.arrayContaining([{ path: 'Idempotency-Key', message: expect.stringMatching(/at least 1 character/) }]));
    expect(db.commandCalls(BatchWriteCommand)).toHaveLength(0);
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

  it('answers 503 and removes the stored order when it cannot be announced', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('SNS unavailable'));
    db.on(DeleteCommand).resolves({});
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(503);
    expect(String(response.json.message)).toMatch(/not stored/);
    expect(db.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('answers 500 without internals when DynamoDB fails', async () => {
    db.on(BatchWriteCommand).rejects(Object.assign(new Error('ResourceNotFoundException: Requested resource not found: Table: orders'), { name: 'ResourceNotFoundException' }));
    const response = await postOrder(orderBody());
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/orders|ResourceNotFound|at /);
  });
});

describe('POST /orders', () => {
  it('stores every order, in request order, with one batch write and one publish batch', async () => {
    const response = await postOrders({ orders: [orderBody(), orderBody({ customerId: 'bbb968', totalAmount: 30.1 })] });
    expect(response.statusCode).toBe(202);
    const orders = response.json.orders as { customerId: string }[];
    expect(orders.map((o) => o.customerId)).toEqual(['aaa789', 'bbb968']);
    expect(db.commandCalls(BatchWriteCommand)).toHaveLength(1);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
  });

  it('publishes 25 orders in batches of 10', async () => {
    const response = await postOrders({ orders: Array.from({ length: 25 }, () => orderBody()) });
    expect(response.statusCode).toBe(202);
    expect(sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
  });

  it('refuses the whole batch when one order is bad, naming its index', async () => {
    const response = await postOrders({ orders: [orderBody(), orderBody({ items: [] })] });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toMatch(/^Order #1 is invalid/);
    expect(response.json.errors).toEqual([{ path: 'orders[1].items', message: expect.any(String) }]);
    expect(db.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('refuses more than 25 orders', async () => {
    const response = await postOrders({ orders: Array.from({ length: 26 }, () => orderBody()) });
    expect(response.statusCode).toBe(400);
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
    db.on(GetCommand).resolves({ Item: item });
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}/status', path: '/order/o-1/status', pathParameters: { orderId: 'o-1' } });
    expect(response).toMatchObject({ statusCode: 200, json: { orderId: 'o-1', status: 'SHIPPED', logs: item.logs } });
  });

  it('returns the whole order with exact amounts', async () => {
    db.on(GetCommand).resolves({ Item: item });
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}', path: '/order/o-1', pathParameters: { orderId: 'o-1' } });
    expect(response.json).toMatchObject({ orderId: 'o-1', totalAmount: 187.78, items: [{ productId: '456', qty: 1 }] });
  });

  it('answers 404 for an unknown order', async () => {
    db.on(GetCommand).resolves({});
    const response = await invoke({ method: 'GET', resource: '/order/{orderId}', path: '/order/nope', pathParameters: { orderId: 'nope' } });
    expect(response.statusCode).toBe(404);
  });

  it('answers 405 with Allow for a method the path does not have', async () => {
    const response = await invoke({ method: 'DELETE', resource: '/order/{orderId}', path: '/order/o-1', pathParameters: { orderId: 'o-1' } });
    expect(response.statusCode).toBe(405);
    expect(response.headers?.Allow).toBe('GET');
  });
});
