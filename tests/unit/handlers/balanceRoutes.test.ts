import { TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as accountHandler } from '../../../src/handlers/accountUpdate';
import { handler as stockHandler } from '../../../src/handlers/stockUpdate';
import { apiEvent, lambdaContext } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);

const call = async (handler: typeof accountHandler, input: Parameters<typeof apiEvent>[0]) => {
  const response = await handler(apiEvent(input), lambdaContext());
  return { statusCode: response.statusCode, json: JSON.parse(response.body) as Record<string, unknown> };
};

beforeEach(() => {
  db.reset();
  db.on(PutCommand).resolves({});
});

describe('POST /account', () => {
  it('sets the balance as an exact decimal and returns the account', async () => {
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'aaa789', balance: 0.3 } });
    expect(response).toMatchObject({ statusCode: 200, json: { customerId: 'aaa789', balance: 0.3, updatedAt: expect.any(String) } });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ customerId: 'aaa789', balance: NumberValue.from('0.30') });
  });

  it('retries a write that collides with a shipment charging the same account, instead of answering 500', async () => {
    db.on(PutCommand).rejectsOnce(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} })).resolves({});
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'aaa789', balance: 12 } });
    expect(response.statusCode).toBe(200);
    expect(db.commandCalls(PutCommand)).toHaveLength(2);
  });

  it.each([
    ['a negative balance', { customerId: 'c', balance: -1 }, 'balance'],
    ['three decimals', { customerId: 'c', balance: 10.123 }, 'balance'],
    ['more than a billion', { customerId: 'c', balance: 1_000_000_000.01 }, 'balance'],
    ['a 65-character id', { customerId: 'c'.repeat(65), balance: 1 }, 'customerId'],
    ['a string balance', { customerId: 'c', balance: '10' }, 'balance'],
  ])('refuses %s and writes nothing', async (_, body, path) => {
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body });
    expect(response.statusCode).toBe(400);
    expect(response.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 500 without details when DynamoDB fails', async () => {
    db.on(PutCommand).rejects(new Error('AccessDeniedException on table accounts'));
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'c', balance: 1 } });
    expect(response.statusCode).toBe(500);
    expect(JSON.stringify(response.json)).not.toMatch(/accounts|AccessDenied/);
  });
});

describe('GET /account/{customerId}', () => {
  it('returns the balance read exactly', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'c', balance: NumberValue.from('812.22'), updatedAt: 't' } });
    const response = await call(accountHandler, { method: 'GET', resource: '/account/{customerId}', pathParameters: { customerId: 'c' } });
    expect(response).toMatchObject({ statusCode: 200, json: { customerId: 'c', balance: 812.22, updatedAt: 't' } });
  });

  it('answers 404 for an unknown customer', async () => {
    db.on(GetCommand).resolves({});
    const response = await call(accountHandler, { method: 'GET', resource: '/account/{customerId}', pathParameters: { customerId: 'c' } });
    expect(response.statusCode).toBe(404);
  });
});

describe('stock routes', () => {
  it('sets a product stock to an integer', async () => {
    const response = await call(stockHandler, { method: 'POST', resource: '/stock', body: { productId: '456', balance: 100 } });
    expect(response).toMatchObject({ statusCode: 200, json: { productId: '456', balance: 100 } });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ productId: '456', balance: 100 });
  });

  it('refuses a fractional stock', async () => {
    const response = await call(stockHandler, { method: 'POST', resource: '/stock', body: { productId: '456', balance: 1.5 } });
    expect(response).toMatchObject({ statusCode: 400, json: { errors: [{ path: 'balance', message: 'must be an integer' }] } });
  });

  it('reads a product stock', async () => {
    db.on(GetCommand).resolves({ Item: { productId: '456', balance: NumberValue.from('7'), updatedAt: 't' } });
    const response = await call(stockHandler, { method: 'GET', resource: '/stock/{productId}', pathParameters: { productId: '456' } });
    expect(response.json).toEqual({ productId: '456', balance: 7, updatedAt: 't' });
  });
});
