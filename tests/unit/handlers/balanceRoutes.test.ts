import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { marshall } from '@aws-sdk/util-dynamodb';
import { handler as accountHandler } from '../../../src/handlers/accountUpdate';
import { handler as stockHandler } from '../../../src/handlers/stockUpdate';
import { apiEvent, lambdaContext } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);

const call = async (handler: typeof accountHandler, input: Parameters<typeof apiEvent>[0]) => {
  const response = await handler(apiEvent(input), lambdaContext());
  return { statusCode: response.statusCode, headers: response.headers ?? {}, json: JSON.parse(response.body) as Record<string, unknown> };
};

/** DynamoDB's answer to the update: the item as written, version included (ReturnValues ALL_NEW). */
const written = (key: Record<string, string>, balance: string, version: number) => ({ Attributes: { ...key, balance: NumberValue.from(balance), updatedAt: 't', version: NumberValue.from(String(version)) } });
const updates = (): UpdateCommandInput[] => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  db.reset();
  db.on(UpdateCommand).callsFake((input: UpdateCommandInput) => written(input.Key as Record<string, string>, String((input.ExpressionAttributeValues ?? {})[':balance']), 8));
});

describe('POST /account', () => {
  it('sets the balance as an exact decimal in one update that adds 1 to the version, and answers the new ETag', async () => {
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'aaa789', balance: 0.3 } });
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"8"' }, json: { customerId: 'aaa789', balance: 0.3, updatedAt: 't' } });
    const [update] = updates();
    expect(update).toMatchObject({ Key: { customerId: 'aaa789' }, UpdateExpression: expect.stringMatching(/^SET balance = :balance, updatedAt = :now, .* ADD #version :one$/) });
    expect(update?.ExpressionAttributeValues?.[':balance']).toEqual(NumberValue.from('0.30'));
  });

  it('writes without a condition when there is no If-Match: the last writer wins', async () => {
    await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'c', balance: 1 } });
    expect(updates()[0]?.ConditionExpression).toBeUndefined();
  });

  it('retries a write that collides with a shipment charging the same account, instead of answering 500', async () => {
    db.on(UpdateCommand).rejectsOnce(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} })).resolves(written({ customerId: 'aaa789' }, '12', 3));
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'aaa789', balance: 12 } });
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"3"' } });
    expect(updates()).toHaveLength(2);
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
    expect(updates()).toHaveLength(0);
  });

  it('judges the balance as written: 187.780000000000001 is refused, not rounded to 187.78', async () => {
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: '{"customerId":"c","balance":187.780000000000001}' });
    expect(response).toMatchObject({ statusCode: 400, json: { errors: [{ path: 'balance', message: expect.stringContaining('written exactly') }] } });
    expect(updates()).toHaveLength(0);
  });

  it('answers 500 without details when DynamoDB fails', async () => {
    db.on(UpdateCommand).rejects(new Error('AccessDeniedException on table accounts'));
    const response = await call(accountHandler, { method: 'POST', resource: '/account', body: { customerId: 'c', balance: 1 } });
    expect(response.statusCode).toBe(500);
    expect(JSON.stringify(response.json)).not.toMatch(/accounts|AccessDenied/);
  });
});

describe('GET /account/{customerId}', () => {
  it('returns the balance read exactly, with its version as the ETag', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'c', balance: NumberValue.from('812.22'), updatedAt: 't', version: NumberValue.from('5') } });
    const response = await call(accountHandler, { method: 'GET', resource: '/account/{customerId}', pathParameters: { customerId: 'c' } });
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"5"' }, json: { customerId: 'c', balance: 812.22, updatedAt: 't' } });
  });

  it('gives an account written by other means than the API (no version) the ETag "0"', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'c', balance: NumberValue.from('1'), updatedAt: 't' } });
    const response = await call(accountHandler, { method: 'GET', resource: '/account/{customerId}', pathParameters: { customerId: 'c' } });
    expect(response.headers.ETag).toBe('"0"');
  });

  it('answers 404 for an unknown customer', async () => {
    db.on(GetCommand).resolves({});
    const response = await call(accountHandler, { method: 'GET', resource: '/account/{customerId}', pathParameters: { customerId: 'c' } });
    expect(response.statusCode).toBe(404);
  });
});

describe.each([
  ['POST /account', accountHandler, '/account', { customerId: 'c', balance: 10 }, { customerId: 'c' }],
  ['POST /stock', stockHandler, '/stock', { productId: 'p', balance: 10 }, { productId: 'p' }],
])('%s with If-Match', (_route, handler, resource, body, key) => {
  const post = (ifMatch: string) => call(handler, { method: 'POST', resource, body, headers: { 'If-Match': ifMatch } });

  it('writes only if the version is still the one read, and answers the next ETag', async () => {
    const response = await post('"7"');
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"8"' } });
    expect(updates()[0]).toMatchObject({ Key: key, ConditionExpression: '#version IN (:v0)', ExpressionAttributeValues: expect.objectContaining({ ':v0': 7 }) });
  });

  it('answers 412 in the contract’s error shape when the version has moved on, having changed nothing', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());
    const response = await post('"7"');
    expect(response.statusCode).toBe(412);
    expect(response.json).toEqual({ message: expect.stringMatching(/changed since it was read.*nothing was changed/) });
    expect(response.headers.ETag).toBeUndefined();
  });

  it('accepts any of several listed tags, ignoring weak ones (If-Match compares strongly)', async () => {
    await post('"2", W/"3" ,"5"');
    expect(updates()[0]).toMatchObject({ ConditionExpression: '#version IN (:v0, :v1)', ExpressionAttributeValues: expect.objectContaining({ ':v0': 2, ':v1': 5 }) });
  });

  it('matches "0" to an item written by other means than the API (no version)', async () => {
    await post('"0"');
    expect(updates()[0]).toMatchObject({ ConditionExpression: '(attribute_exists(#key) AND attribute_not_exists(#version))', ExpressionAttributeNames: { '#key': Object.keys(key)[0], '#version': 'version' } });
  });

  it('answers 412 without writing when no tag can match (weak, or not one this API issues)', async () => {
    const response = await post('W/"7", "abc"');
    expect(response.statusCode).toBe(412);
    expect(updates()).toHaveLength(0);
  });

  it('takes * to mean "only if it exists", and answers 412 for a new one', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());
    const response = await post('*');
    expect(updates()[0]?.ConditionExpression).toBe('attribute_exists(#key)');
    expect(response).toMatchObject({ statusCode: 412, json: { message: expect.stringContaining('does not exist') } });
  });

  it('answers an If-Match that is not * or quoted tags with 412, saying the form that matches, writing nothing', async () => {
    const response = await post('7');
    expect(response).toMatchObject({ statusCode: 412, json: { message: expect.stringContaining('quotes included (e.g. "3")') } });
    expect(updates()).toHaveLength(0);
  });

  it('answers 200 with the item, not 412, when its write took effect and the SDK resent it after the answer was lost', async () => {
    // The first try was applied (version 7 -> 8) but its answer lost; the SDK's retry of the same
    // request finds the version moved on, and the item as it found it carries this write's own token.
    db.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      const values = input.ExpressionAttributeValues ?? {};
      const appliedByFirstTry = { ...key, balance: NumberValue.from('10'), updatedAt: 't', version: NumberValue.from('8'), writeToken1: values[':token'] };
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: marshall(appliedByFirstTry, { removeUndefinedValues: true }) } : {}),
      });
    });
    const response = await post('"7"');
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"8"' }, json: { balance: 10 } });
  });

  it('still answers 412 when the version moved on by another write of the very same value', async () => {
    db.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      const theirs = { ...key, balance: NumberValue.from('10'), updatedAt: 't', version: NumberValue.from('8'), writeToken1: 'another-request' };
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: marshall(theirs) } : {}) });
    });
    const response = await post('"7"');
    expect(response.statusCode).toBe(412);
  });

  it('retries a conditional write that collides with a running shipment, keeping its condition', async () => {
    db.on(UpdateCommand).rejectsOnce(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} })).resolves(written(key, '10', 8));
    const response = await post('"7"');
    expect(response.statusCode).toBe(200);
    expect(updates().map((update) => update.ConditionExpression)).toEqual(['#version IN (:v0)', '#version IN (:v0)']);
  });
});

describe('stock routes', () => {
  it('sets a product stock to an integer', async () => {
    const response = await call(stockHandler, { method: 'POST', resource: '/stock', body: { productId: '456', balance: 100 } });
    expect(response).toMatchObject({ statusCode: 200, headers: { ETag: '"8"' }, json: { productId: '456', balance: 100 } });
    expect(updates()[0]).toMatchObject({ Key: { productId: '456' }, ExpressionAttributeValues: expect.objectContaining({ ':balance': 100 }) });
  });

  it('refuses a fractional stock', async () => {
    const response = await call(stockHandler, { method: 'POST', resource: '/stock', body: { productId: '456', balance: 1.5 } });
    expect(response).toMatchObject({ statusCode: 400, json: { errors: [{ path: 'balance', message: 'must be an integer' }] } });
  });

  it('reads a product stock with its ETag', async () => {
    db.on(GetCommand).resolves({ Item: { productId: '456', balance: NumberValue.from('7'), updatedAt: 't', version: NumberValue.from('2') } });
    const response = await call(stockHandler, { method: 'GET', resource: '/stock/{productId}', pathParameters: { productId: '456' } });
    expect(response).toMatchObject({ headers: { ETag: '"2"' }, json: { productId: '456', balance: 7, updatedAt: 't' } });
  });
});
