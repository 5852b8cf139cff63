// The fault proxy in front of the real emulators: what a throttled, failed or dropped call does to
// their state, seen through the project's own adapters and the real SDK clients.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startAwsProxy, type AwsProxy } from '../../local/awsProxy';
import { FaultInjector, type FaultRule } from '../../local/faults';
import { stockStore } from '../../src/adapters/balanceStore';
import { readInteger } from '../../src/adapters/numbers';
import { orderEvents } from '../../src/adapters/orderEvents';
import { newOrder } from '../../src/domain/order';
import { createTestStack, type TestStack } from './support/testStack';

let t: TestStack;
const proxies: AwsProxy[] = [];

beforeAll(async () => {
  t = await createTestStack();
});

afterAll(() => Promise.all(proxies.map((proxy) => proxy.stop())));

/** SDK clients that reach the emulators through a proxy with these rules, armed. */
async function through(rules: FaultRule[], maxAttempts = 3) {
  const injector = new FaultInjector({ seed: 1, rules });
  const proxy = await startAwsProxy({ dynamoEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '', messagingEndpoint: process.env.AWS_ENDPOINT_URL_SQS ?? '' }, injector);
  proxies.push(proxy);
  injector.arm();
  const config = { endpoint: proxy.endpoint, maxAttempts };
  return {
    injector,
    db: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    sqs: new SQSClient({ ...config, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient(config),
  };
}

/** A product's stock as stored, read past the proxy; undefined for none. */
async function stockOf(productId: string): Promise<number | undefined> {
  const { Item } = await t.db.send(new GetCommand({ TableName: t.tableName('StockTable'), Key: { productId }, ConsistentRead: true }));
  return Item && readInteger(Item.balance);
}

describe('faults injected in front of the emulators', () => {
  it('stores a write once the SDK’s retries outlast its throttling', async () => {
    const { db, injector } = await through([{ operation: 'dynamodb:PutItem', kind: 'throttle', times: 2 }]);
    await db.send(new PutCommand({ TableName: t.tableName('StockTable'), Item: { productId: 'throttled', balance: 5 } }));
    expect(await stockOf('throttled')).toBe(5);
    expect(injector.counts().rules[0]).toMatchObject({ seen: 3, injected: 2 });
  });

  it('changes nothing when the write fails with an internal error', async () => {
    const { db } = await through([{ operation: 'dynamodb:PutItem', kind: 'internal-error' }], 1);
    await expect(db.send(new PutCommand({ TableName: t.tableName('StockTable'), Item: { productId: 'failed', balance: 5 } }))).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(await stockOf('failed')).toBeUndefined();
  });

  it('applies a dropped write although its caller never hears of it', async () => {
    await t.db.send(new PutCommand({ TableName: t.tableName('StockTable'), Item: { productId: 'dropped', balance: 5 } }));
    const { db } = await through([{ operation: 'dynamodb:UpdateItem', kind: 'drop' }], 1);
    const update = new UpdateCommand({ TableName: t.tableName('StockTable'), Key: { productId: 'dropped' }, UpdateExpression: 'SET balance = balance - :one', ExpressionAttributeValues: { ':one': 1 } });
    await expect(db.send(update)).rejects.toThrow(/socket hang up/);
    expect(await stockOf('dropped')).toBe(4);
  });

  it('answers a balance write whose answer was dropped as written, when the SDK’s retry finds its own write (not 412)', async () => {
    const stock = stockStore(t.db, t.tableName('StockTable'));
    const read = await stock.set('dropped-if-match', 5);
    const { db } = await through([{ operation: 'dynamodb:UpdateItem', kind: 'drop', times: 1 }], 2);
    const written = await stockStore(db, t.tableName('StockTable')).set('dropped-if-match', 8, { versions: [read.version] });
    expect(written).toMatchObject({ balance: 8, version: read.version + 1 });
    expect(await stockOf('dropped-if-match')).toBe(8);
  });

  it('announces orders through a throttled SNS once the SDK retries get through, onto both checker queues', async () => {
    const { sns, injector } = await through([{ operation: 'sns:PublishBatch', kind: 'throttle', times: 1 }]);
    const order = newOrder({ customerId: 'c-faults', items: [{ productId: 'p-faults', qty: 1 }], totalCents: 100 }, 'o-faults', new Date().toISOString());
    await orderEvents(sns, t.stack.topics.find((topic) => topic.logicalId === 'OrderTopic')?.arn ?? '').announceOrders([order]);
    for (const queue of ['BalanceCheckerQueue', 'StockCheckerQueue']) {
      expect((await t.receiveAll(queue)).map((message) => (JSON.parse(message.Body ?? '{}') as { orderId: string }).orderId)).toEqual(['o-faults']);
    }
    expect(injector.counts().rules[0]).toMatchObject({ seen: 2, injected: 1 });
  });

  it('delivers a message to a queue once a throttled SendMessage is retried, exactly once', async () => {
    const { sqs } = await through([{ operation: 'sqs:SendMessage', kind: 'throttle', times: 1 }]);
    await sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl('ShipOrderQueue'), MessageBody: '{"orderId":"o-sent"}' }));
    expect((await t.receiveAll('ShipOrderQueue')).map((message) => message.Body)).toEqual(['{"orderId":"o-sent"}']);
  });
});
