// The emulators' raw capacity, measured in the same run as the load: how many requests per second
// DynamoDB Local and fauxqs answer for the calls an order needs, from a client with the same SDK,
// on resources of their own. The load figures then read as a fraction of what this machine allows.
import { BatchGetItemCommand, BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Progress } from './progress';
import { round } from './stats';

export interface CallCapacity {
  call: string;
  requestsPerSecond: number;
  concurrency: number;
  errors: number;
}

export interface EmulatorCapacity {
  durationSeconds: number;
  calls: CallCapacity[];
  /**
   * An order's DynamoDB calls, in its order and on tables shaped like the stack's (the order table
   * with its open-orders index), CONCURRENCY orders at a time: what DynamoDB Local alone allows,
   * lock contention between the calls included, which single-call figures do not show.
   */
  dynamoOrdersPerSecond: number;
}

const CONCURRENCY = 16;
const KEYS = 1000;
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Runs `operation` from CONCURRENCY loops: first for a warm-up (the JVM of DynamoDB Local compiles
 * its hot paths under load), then for `seconds`, counting the requests that succeeded. An
 * operation that throws Exhausted ends the measurement early (a queue that ran dry).
 */
async function saturate(call: string, seconds: number, operation: (index: number) => Promise<unknown>): Promise<CallCapacity> {
  let next = 0;
  let errors = 0;
  let exhausted = false;
  const loop = async (until: number, onDone: () => void) => {
    while (!exhausted && performance.now() < until) {
      try {
        await operation(next++);
        onDone();
      } catch (error) {
        if (error instanceof Exhausted) exhausted = true;
        else errors += 1;
      }
    }
  };
  const warmUpEnd = performance.now() + Math.min(1000, seconds * 500);
  await Promise.all(Array.from({ length: CONCURRENCY }, () => loop(warmUpEnd, () => undefined)));
  errors = 0;
  let done = 0;
  let lastDone = performance.now();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, () =>
      loop(deadline, () => {
        done += 1;
        lastDone = performance.now();
      }),
    ),
  );
  return { call, requestsPerSecond: round(done / ((lastDone - started) / 1000), 0), concurrency: CONCURRENCY, errors };
}

class Exhausted extends Error {}

const key = (index: number) => ({ pk: { S: `k${index % KEYS}` } });

/**
 * One order's DynamoDB calls as the functions make them: the order written with its open-orders
 * index entry, the account and stock read, two check results and READY_TO_SHIP recorded on the
 * order (the last one moving its index entry), the order read, and the shipping transaction that
 * removes it from the index. Orders per second, CONCURRENCY at a time.
 */
async function orderMix(dynamo: DynamoDBClient, seconds: number, prefix: string): Promise<number> {
  const [orders, accounts, stock] = [`${prefix}-mix-orders`, `${prefix}-mix-accounts`, `${prefix}-mix-stock`];
  const attribute = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  await dynamo.send(
    new CreateTableCommand({
      TableName: orders,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [attribute('orderId'), attribute('openStatus'), attribute('openSince')],
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{ IndexName: 'open', KeySchema: [{ AttributeName: 'openStatus', KeyType: 'HASH' }, { AttributeName: 'openSince', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    }),
  );
  for (const [table, name] of [[accounts, 'customerId'], [stock, 'productId']] as const) {
    await dynamo.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [attribute(name)], KeySchema: [{ AttributeName: name, KeyType: 'HASH' }] }));
    for (let start = 0; start < 200; start += 25) {
      const items = Array.from({ length: 25 }, (_, offset) => ({ PutRequest: { Item: { [name]: { S: `${start + offset}` }, balance: { N: '1000000000' } } } }));
      await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
    }
  }
  const decrement = (table: string, name: string, id: string) => ({
    Update: { TableName: table, Key: { [name]: { S: id } }, UpdateExpression: 'SET balance = balance - :one', ConditionExpression: 'balance >= :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
  });
  const result = await saturate('order mix', seconds, async (index) => {
    const orderId = { S: `order-${index}` };
    const [customer, first, second] = [String(index % 200), String((index * 7) % 200), String((index * 13 + 1) % 200)];
    const now = () => ({ S: new Date().toISOString() });
    const line = (text: string) => ({ ':line': { L: [{ S: text }] } });
    await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [orders]: [{ PutRequest: { Item: { orderId, status: { S: 'PENDING' }, openStatus: { S: 'PENDING' }, openSince: now(), logs: { L: [{ S: 'Order received' }] } } } }] } }));
    await Promise.all([
      dynamo.send(new GetItemCommand({ TableName: accounts, Key: { customerId: { S: customer } }, ConsistentRead: true })),
      dynamo.send(new BatchGetItemCommand({ RequestItems: { [stock]: { Keys: [first, second].map((id) => ({ productId: { S: id } })), ConsistentRead: true } } })),
    ]);
    for (const check of ['creditCheck', 'stockCheck']) {
      await dynamo.send(new UpdateItemCommand({ TableName: orders, Key: { orderId }, UpdateExpression: `SET ${check} = :passed, logs = list_append(logs, :line)`, ExpressionAttributeValues: { ':passed': { S: 'PASSED' }, ...line(`${check} passed`) } }));
    }
    await dynamo.send(new UpdateItemCommand({ TableName: orders, Key: { orderId }, UpdateExpression: 'SET #status = :ready, openStatus = :ready, openSince = :now', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':ready': { S: 'READY_TO_SHIP' }, ':now': now() } }));
    await dynamo.send(new GetItemCommand({ TableName: orders, Key: { orderId }, ConsistentRead: true }));
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          decrement(accounts, 'customerId', customer),
          decrement(stock, 'productId', first),
          decrement(stock, 'productId', second),
          { Update: { TableName: orders, Key: { orderId }, UpdateExpression: 'SET #status = :shipped REMOVE openStatus, openSince', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':shipped': { S: 'SHIPPED' } } } },
        ],
      }),
    );
  });
  return result.requestsPerSecond;
}

/** `prefix` names the measurement's own tables, queues and topic (a second measurement needs new ones). */
export async function measureEmulatorCapacity(endpoints: { dynamoEndpoint: string; messagingEndpoint: string }, seconds: number, progress: Progress, prefix = 'bench-capacity'): Promise<EmulatorCapacity> {
  const dynamo = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: endpoints.dynamoEndpoint });
  const sqs = new SQSClient({ region: REGION, credentials: CREDENTIALS, endpoint: endpoints.messagingEndpoint });
  const sns = new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint: endpoints.messagingEndpoint });
  const steps = 9;
  let step = 0;
  const tick = (detail: string) => progress.update(step++, detail);
  progress.phase(`Emulators' raw capacity (${prefix})`, steps);
  try {
    const table = prefix;
    await dynamo.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    for (let start = 0; start < KEYS; start += 25) {
      const items = Array.from({ length: 25 }, (_, offset) => ({ PutRequest: { Item: { ...key(start + offset), n: { N: '1000000' } } } }));
      await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
    }
    const calls: CallCapacity[] = [];
    tick('DynamoDB Local PutItem');
    calls.push(await saturate('DynamoDB.PutItem', seconds, (i) => dynamo.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `new-${i}` }, n: { N: '1' } } }))));
    tick('DynamoDB Local UpdateItem');
    calls.push(
      await saturate('DynamoDB.UpdateItem', seconds, (i) =>
        dynamo.send(new UpdateItemCommand({ TableName: table, Key: key(i), UpdateExpression: 'SET n = n - :one', ConditionExpression: 'n >= :one', ExpressionAttributeValues: { ':one': { N: '1' } } })),
      ),
    );
    tick('DynamoDB Local GetItem');
    calls.push(await saturate('DynamoDB.GetItem', seconds, (i) => dynamo.send(new GetItemCommand({ TableName: table, Key: key(i * 7), ConsistentRead: true }))));
    tick('DynamoDB Local TransactWriteItems');
    // The shipping transaction's shape: an account, two products and the order, four conditional updates.
    calls.push(
      await saturate('DynamoDB.TransactWriteItems', seconds, (i) =>
        dynamo.send(
          new TransactWriteItemsCommand({
            TransactItems: [0, 1, 2, 3].map((offset) => ({
              Update: { TableName: table, Key: key(i * 4 + offset), UpdateExpression: 'SET n = n - :one', ConditionExpression: 'n >= :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
            })),
          }),
        ),
      ),
    );

    tick("DynamoDB Local: an order's calls");
    const dynamoOrdersPerSecond = await orderMix(dynamo, seconds, prefix);

    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: prefix }))).QueueUrl as string;
    const fanOut = await Promise.all([`${prefix}-a`, `${prefix}-b`].map((name) => sqs.send(new CreateQueueCommand({ QueueName: name }))));
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: prefix }))).TopicArn as string;
    for (const queue of fanOut) {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }));
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
    }
    const body = JSON.stringify({ orderId: '00000000-0000-0000-0000-000000000000', check: 'credit', passed: true, detail: 'Credit check passed: balance 1000.00 covers 187.78' });
    tick('fauxqs SendMessage');
    calls.push(await saturate('SQS.SendMessage', seconds, () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))));
    tick('fauxqs Publish (to two subscribed queues)');
    calls.push(await saturate('SNS.Publish', seconds, () => sns.send(new PublishCommand({ TopicArn: topicArn, Message: body }))));
    // Receives must find messages, as the pollers do under load: top the queue up first (the
    // measurement ends early if it runs dry all the same).
    tick('fauxqs ReceiveMessage + DeleteMessageBatch');
    const entries = Array.from({ length: 10 }, (_, index) => ({ Id: String(index), MessageBody: body }));
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let batch = 0; batch < 250; batch += 1) await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }),
    );
    const receive = await saturate('SQS.ReceiveMessage', seconds, async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) throw new Exhausted('the queue ran dry');
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
    });
    // Each loop iteration was a receive and a delete: both ran at this rate.
    calls.push({ ...receive, call: 'SQS.ReceiveMessage (10) + DeleteMessageBatch' });
    tick('done');
    return { durationSeconds: seconds, calls, dynamoOrdersPerSecond };
  } finally {
    dynamo.destroy();
    sqs.destroy();
    sns.destroy();
  }
}

/**
 * The better of two measurements, call by call: other work on the machine can only have held the
 * emulators back, so the higher figure is the nearer to what the machine allows.
 */
export function bestOf(first: EmulatorCapacity, second: EmulatorCapacity): EmulatorCapacity {
  return {
    durationSeconds: first.durationSeconds,
    calls: first.calls.map((call) => {
      const other = second.calls.find((candidate) => candidate.call === call.call);
      return other && other.requestsPerSecond > call.requestsPerSecond ? other : call;
    }),
    dynamoOrdersPerSecond: Math.max(first.dynamoOrdersPerSecond, second.dynamoOrdersPerSecond),
  };
}

/** Which measured fauxqs call stands for each messaging call an order makes. */
const CAPACITY_CLASS: Record<string, string> = {
  'SQS.SendMessage': 'SQS.SendMessage',
  'SQS.SendMessageBatch': 'SQS.SendMessage',
  'SQS.ReceiveMessage': 'SQS.ReceiveMessage (10) + DeleteMessageBatch',
  'SQS.DeleteMessageBatch': 'SQS.ReceiveMessage (10) + DeleteMessageBatch',
  'SQS.DeleteMessage': 'SQS.ReceiveMessage (10) + DeleteMessageBatch',
  'SNS.Publish': 'SNS.Publish',
  'SNS.PublishBatch': 'SNS.Publish',
};

export interface Ceiling {
  /** Orders per second the emulators could serve if they did nothing else: DynamoDB Local (its order mix), fauxqs, and both (they share the CPU). */
  dynamoOrdersPerSecond: number;
  messagingOrdersPerSecond: number;
  combinedOrdersPerSecond: number;
}

/**
 * The emulators' ceiling for this design's request mix. DynamoDB Local: the measured order mix.
 * fauxqs: each order needs `callsPerOrder[call]` requests, each of which takes 1/capacity seconds
 * at saturation.
 */
export function emulatorCeiling(capacity: EmulatorCapacity, callsPerOrder: Record<string, number>): Ceiling {
  const rate = new Map(capacity.calls.map((entry) => [entry.call, entry.requestsPerSecond]));
  let messagingSeconds = 0;
  for (const [call, perOrder] of Object.entries(callsPerOrder)) {
    const measured = rate.get(CAPACITY_CLASS[call] ?? '');
    if (!measured) continue;
    // A receive+delete pair was measured as one iteration: each call takes half of it.
    const share = call.startsWith('SQS.Receive') || call.startsWith('SQS.Delete') ? 0.5 : 1;
    messagingSeconds += (perOrder * share) / measured;
  }
  const dynamoSeconds = 1 / capacity.dynamoOrdersPerSecond;
  const inverse = (value: number) => (value > 0 ? round(1 / value, 0) : Number.POSITIVE_INFINITY);
  return { dynamoOrdersPerSecond: capacity.dynamoOrdersPerSecond, messagingOrdersPerSecond: inverse(messagingSeconds), combinedOrdersPerSecond: inverse(dynamoSeconds + messagingSeconds) };
}
