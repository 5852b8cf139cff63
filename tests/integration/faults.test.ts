// The fault proxy in front of the real emulators: what a throttled, failed or dropped call does to
// their state, seen through the project's own adapters and the real SDK clients.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startAwsProxy, type AwsProxy, FaultInjector } from 'local-sam/tools';
import { type FaultRule } from 'local-sam';
import { stockStore } from '../../src/adapters/balanceStore';
import { readInteger } from '../../src/adapters/numbers';
import { orderEvents } from '../../src/adapters/orderEvents';
import { orderStore } from '../../src/adapters/orderStore';
import { shippingLedger } from '../../src/adapters/shippingLedger';
import { nextCheckStep } from '../../src/domain/checkResults';
import { newOrder, OrderStatus, samePlacement, type Order } from '../../src/domain/order';
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
    db: DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true }, unmarshallOptions: { wrapNumbers: true } }),
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

/**
 * The audit of docs/guarantees.md ("Conditional writes and SDK retries"): every conditional write
 * the functions make, its first answer dropped after DynamoDB applied it, so that the SDK resends
 * it. Each must end as if it had been answered the first time.
 */
describe('every conditional write, applied but its answer lost, then resent by the SDK', () => {
  const LATER = '2999-01-01T00:00:00.000Z';
  let counter = 0;
  const order = (createdAt = new Date().toISOString(), items = [{ productId: 'p-lost', qty: 1 }]) => newOrder({ customerId: 'c-lost', items, totalCents: 100 }, `o-lost-${++counter}-${Math.random().toString(36).slice(2, 6)}`, createdAt);
  /** The adapters over a client whose first `operation` call is applied and its answer dropped. */
  async function losingFirstAnswerOf(operation: string) {
    const { db } = await through([{ operation: `dynamodb:${operation}`, kind: 'drop', times: 1 }], 2);
    return {
      orders: orderStore(db, t.tableName('OrderTable')),
      ledger: shippingLedger(db, { orderTable: t.tableName('OrderTable'), accountTable: t.tableName('AccountTable'), stockTable: t.tableName('StockTable') }),
    };
  }
  const direct = () => orderStore(t.db, t.tableName('OrderTable'));
  const check = (o: Order, ...results: { check: 'CREDIT' | 'STOCK'; passed: boolean }[]) => {
    const step = nextCheckStep(o, results.map((result) => ({ ...result, orderId: o.orderId, detail: `${result.check} ${result.passed}` })));
    if (step.kind !== 'update') throw new Error('nothing to write');
    return step.update;
  };
  const ready = async (o: Order) => {
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    expect(await direct().applyCheckUpdate(o.orderId, check(o, { check: 'CREDIT', passed: true }, { check: 'STOCK', passed: true }))).toEqual({ applied: true });
    return { ...o, status: OrderStatus.ReadyToShip };
  };

  it('storing one order (PutItem): the retry finds this very order, which the placement recognises as its own', async () => {
    const o = order();
    const outcome = await (await losingFirstAnswerOf('PutItem')).orders.storeNewOrders([o], LATER);
    expect(outcome).toEqual({ stored: false, found: [expect.objectContaining({ orderId: o.orderId, createdAt: o.createdAt })] });
    expect(outcome.stored === false && samePlacement(outcome.found[0] as Order, o)).toBe(true);
  });

  it('storing several orders (TransactWriteItems): the retry carries the same ClientRequestToken and succeeds without writing again', async () => {
    const request = [order(), order()];
    expect(await (await losingFirstAnswerOf('TransactWriteItems')).orders.storeNewOrders(request, LATER)).toEqual({ stored: true });
  });

  it('withdrawing (fences, one and several): the retry finds its own fence, which its condition allows', async () => {
    const one = [order()];
    expect(await (await losingFirstAnswerOf('PutItem')).orders.withdrawOrders(one)).toEqual({ withdrawn: true });
    const several = [order(), order()];
    expect(await (await losingFirstAnswerOf('TransactWriteItems')).orders.withdrawOrders(several)).toEqual({ withdrawn: true });
  });

  it('marking orders answered: the retry finds the order still there and sets the same mark again', async () => {
    const o = order();
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.markAnswered([o])).toBe(true);
  });

  it('recording check results: the retry finds its own write on the order (not a change by someone else)', async () => {
    const o = order();
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.applyCheckUpdate(o.orderId, check(o, { check: 'STOCK', passed: false }))).toEqual({ applied: true });
  });

  it('marking ready to ship: the retry finds its own write', async () => {
    const o = order();
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    expect(await direct().applyCheckUpdate(o.orderId, check(o, { check: 'CREDIT', passed: true }))).toEqual({ applied: true });
    await t.db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: o.orderId }, UpdateExpression: 'SET stockCheck = :passed', ExpressionAttributeValues: { ':passed': 'PASSED' } }));
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.markReadyToShip(o.orderId)).toBe(true);
  });

  it('rejecting for a dead letter, and at shipping: the retry finds its own rejection', async () => {
    const pending = order();
    expect(await direct().storeNewOrders([pending], LATER)).toEqual({ stored: true });
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.rejectForDeadLetter({ orderId: pending.orderId, status: OrderStatus.Pending, check: 'STOCK' }, 'Rejected: dead letter')).toBe(true);
    const readyOne = await ready(order());
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.rejectAtShipping(readyOne.orderId, 'Rejected at shipping')).toBe(true);
  });

  it('taking a final order out of the sweep index: the retry’s condition still holds', async () => {
    const o = order();
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    await t.db.send(new UpdateCommand({ TableName: t.tableName('OrderTable'), Key: { orderId: o.orderId }, UpdateExpression: 'SET #status = :shipped', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':shipped': 'SHIPPED' } }));
    expect(await (await losingFirstAnswerOf('UpdateItem')).orders.leaveSweepIndex(o.orderId, OrderStatus.Shipped)).toBe(true);
  });

  it('bringing the sweep forward, and postponing it: the retry sets what the first try set (its result is not used)', async () => {
    const o = order();
    expect(await direct().storeNewOrders([o], LATER)).toEqual({ stored: true });
    await (await losingFirstAnswerOf('UpdateItem')).orders.sweepSoon([o.orderId]);
    const soon = await direct().getForSweep(o.orderId);
    expect(soon?.sweepAt).not.toBe(LATER);
    const next = { sweepAt: '2999-06-01T00:00:00.000Z', nudges: 1 };
    await (await losingFirstAnswerOf('UpdateItem')).orders.postponeSweep(o.orderId, { status: OrderStatus.Pending, sweepAt: soon?.sweepAt ?? '' }, next);
    expect(await direct().getForSweep(o.orderId)).toMatchObject(next);
  });

  it('the shipping transaction: the retry carries the same ClientRequestToken, and credit and stock are charged once', async () => {
    const productId = `p-lost-ship-${++counter}`;
    await t.db.send(new PutCommand({ TableName: t.tableName('StockTable'), Item: { productId, balance: 5, version: 1 } }));
    await t.db.send(new PutCommand({ TableName: t.tableName('AccountTable'), Item: { customerId: 'c-lost', balance: 1_000_000, version: 1 } }));
    const o = await ready(order(new Date().toISOString(), [{ productId, qty: 2 }]));
    expect(await (await losingFirstAnswerOf('TransactWriteItems')).ledger.ship(o)).toEqual({ shipped: true });
    expect(await stockOf(productId)).toBe(3);
  });
});
