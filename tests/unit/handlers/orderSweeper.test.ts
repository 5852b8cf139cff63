import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { toOrderItem } from '../../../src/adapters/orderStore';
import { newOrder, type Order } from '../../../src/domain/order';
import { SWEEP_SHARDS } from '../../../src/domain/sweep';
import { handler } from '../../../src/handlers/orderSweeper';
import { lambdaContext } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
const stored = (orderId: string, fields: Partial<Order> = {}, sweepAt = ago(5)) => ({
  ...toOrderItem({ ...newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 100 }, orderId, ago(600)), ...fields }, sweepAt),
});
const sweep = () => handler({}, lambdaContext('OrderSweeperFunction'));
const deadLetterQueue = (name: string) => `http://sqs.local/000000000000/${name}-dead-letters`;

/** What each dead-letter queue holds; received messages are not removed. */
function deadLetters(byQueue: Record<string, string[]>) {
  sqs.on(ReceiveMessageCommand).callsFake(async ({ QueueUrl, VisibilityTimeout }: { QueueUrl: string; VisibilityTimeout: number }) => {
    const bodies = byQueue[QueueUrl] ?? [];
    byQueue[QueueUrl] = []; // hidden for VisibilityTimeout: the next receive of this sweep sees the rest
    expect(VisibilityTimeout).toBeGreaterThan(0);
    return { Messages: bodies.map((body, index) => ({ MessageId: `${QueueUrl}#${index}`, ReceiptHandle: `r-${index}`, Body: body })) };
  });
}

/** The sweep index and the table behind it. */
function table(items: Record<string, unknown>[]) {
  const byId = new Map(items.map((item) => [String(item.orderId), item]));
  db.on(QueryCommand).callsFake(async ({ ExpressionAttributeValues }: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: items.filter((item) => item.sweepShard === ExpressionAttributeValues[':shard'] && String(item.sweepAt) <= String(ExpressionAttributeValues[':now'])).map(({ orderId, sweepShard, sweepAt }) => ({ orderId, sweepShard, sweepAt })),
  }));
  db.on(GetCommand).callsFake(async ({ Key }: { Key: { orderId: string } }) => ({ Item: byId.get(Key.orderId) }));
  db.on(BatchGetCommand).callsFake(async ({ RequestItems }: { RequestItems: Record<string, { Keys: { orderId: string }[] }> }) => ({
    Responses: Object.fromEntries(Object.entries(RequestItems).map(([name, { Keys }]) => [name, Keys.flatMap(({ orderId }) => (byId.has(orderId) ? [byId.get(orderId)] : []))])),
  }));
}

const updates = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => {
  db.reset();
  sqs.reset();
  sns.reset();
  db.on(UpdateCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  deadLetters({});
  table([]);
});

describe('OrderSweeperFunction', () => {
  it('rejects an order whose message was dead-lettered, and leaves the message in its queue, visible again', async () => {
    table([stored('o-1')]);
    deadLetters({ [deadLetterQueue('stock-checker')]: [JSON.stringify({ orderId: 'o-1', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' })] });
    const summary = await sweep();
    expect(summary.rejectedForDeadLetters).toBe(1);
    const [rejection] = updates();
    expect(rejection).toMatchObject({
      Key: { orderId: 'o-1' },
      ConditionExpression: '#status = :expected AND attribute_not_exists(#check)',
      ExpressionAttributeNames: { '#status': 'status', '#check': 'stockCheck' },
      ExpressionAttributeValues: { ':expected': 'PENDING', ':line': ['Rejected: its stock check failed 5 times and its message was dead-lettered (StockCheckerDeadLetterQueue)'] },
    });
    expect(rejection?.UpdateExpression).toMatch(/REMOVE sweepShard, sweepAt$/);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input.Entries?.map((entry) => entry.VisibilityTimeout))).toEqual([[0]]);
  });

  it('reads every dead-letter queue of the template, and writes nothing for dead letters that name no order', async () => {
    deadLetters(Object.fromEntries(['balance-checker', 'stock-checker', 'order-update', 'ship-order'].map((name) => [deadLetterQueue(name), ['not json {']])));
    const summary = await sweep();
    expect(new Set(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.QueueUrl))).toEqual(
      new Set(['balance-checker', 'stock-checker', 'order-update', 'ship-order'].map(deadLetterQueue)),
    );
    expect(summary.rejectedForDeadLetters).toBe(0);
    expect(updates()).toEqual([]);
  });

  it('queries every shard of the sweep index for orders whose time has come', async () => {
    await sweep();
    const queries = db.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(SWEEP_SHARDS);
    expect(queries[0]).toMatchObject({ IndexName: 'OrdersToSweep', KeyConditionExpression: 'sweepShard = :shard AND sweepAt <= :now' });
  });

  it('announces again a due PENDING order that misses a check result, and looks again a deadline later', async () => {
    table([stored('o-1', { stockCheck: 'PASSED' })]);
    const summary = await sweep();
    expect(summary).toMatchObject({ announced: 1, failed: 0 });
    expect(JSON.parse(sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.Message ?? '{}')).toMatchObject({ orderId: 'o-1' });
    const [postpone] = updates();
    expect(postpone).toMatchObject({ UpdateExpression: 'SET sweepAt = :next, nudges = :nudges', ConditionExpression: '#status = :status AND sweepAt = :seen', ExpressionAttributeValues: { ':nudges': 1, ':status': 'PENDING' } });
    expect(Date.parse(String(postpone?.ExpressionAttributeValues?.[':next'])) - Date.now()).toBeGreaterThan(299_000);
  });

  it('moves on a PENDING order whose checks both passed, and asks again for a READY_TO_SHIP order’s shipment', async () => {
    table([stored('ready', { creditCheck: 'PASSED', stockCheck: 'PASSED' }), stored('waiting', { status: 'READY_TO_SHIP' }, ago(86_400))]);
    const summary = await sweep();
    expect(summary).toMatchObject({ markedReadyToShip: 1, shippingRequested: 1 });
    const requests = sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '')));
    expect(requests.sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual(['ready', 'waiting'].map((orderId) => expect.objectContaining({ orderId, customerId: expect.any(String), totalAmount: expect.any(String) })));
    expect(updates().filter((update) => /REJECTED/.test(JSON.stringify(update)))).toEqual([]);
  });

  it('carries on when another run has moved the order on in the meantime', async () => {
    table([stored('o-1', {}, ago(5))]);
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'moved on', $metadata: {} }));
    const summary = await sweep();
    expect(summary).toMatchObject({ announced: 1, failed: 0 });
  });

  it('still moves on due orders when a dead-letter queue cannot be read, and fails the run after both passes', async () => {
    table([stored('o-1', { stockCheck: 'PASSED' })]);
    sqs.on(ReceiveMessageCommand).rejects(new Error('AccessDenied on one dead-letter queue'));
    await expect(sweep()).rejects.toThrow(/AccessDenied on one dead-letter queue/);
    expect(JSON.parse(sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.Message ?? '{}')).toMatchObject({ orderId: 'o-1' });
  });

  it('still rejects dead-lettered orders when the sweep index cannot be read, and fails the run after both passes', async () => {
    table([stored('o-1')]);
    deadLetters({ [deadLetterQueue('stock-checker')]: [JSON.stringify({ orderId: 'o-1', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' })] });
    db.on(QueryCommand).rejects(new Error('throttled'));
    await expect(sweep()).rejects.toThrow(/sweep index shards could not be read/);
    expect(updates().map((update) => update.Key)).toEqual([{ orderId: 'o-1' }]);
  });

  it('fails the run when the index cannot be queried, so the next run tries again', async () => {
    db.on(QueryCommand).rejects(new Error('throttled'));
    await expect(sweep()).rejects.toThrow(/sweep index shards could not be read/);
  });
});
