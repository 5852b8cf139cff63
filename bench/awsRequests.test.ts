// The request counter against real SDK clients talking to a loopback server that answers from a
// script, so every count here is what node:http carried of real serialised requests. Run: npm run test:bench
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { observeAwsCalls, RequestLog, type Observation } from './awsRequests';

interface Answer {
  status: number;
  body: object | string;
  headers?: Record<string, string>;
}

// Before any client sends: the SDK keeps http.request once it has looked it up.
let log = new RequestLog();
const observations: Observation[] = [];
observeAwsCalls(http, (observation) => {
  observations.push(observation);
  log.record('A', observation);
});

const answers: Answer[] = [];
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    const answer: Answer = answers.shift() ?? { status: 200, body: {} };
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/xml' : 'application/x-amz-json-1.0', ...(answer.headers ?? {}) });
    response.end(text);
  });
});
let endpoint = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  log = new RequestLog();
  observations.length = 0;
  received.length = 0;
  answers.length = 0;
});

const options = () => ({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, endpoint });

describe('observeAwsCalls', () => {
  it('counts every HTTP attempt, retries included, and the error of the failed one', async () => {
    answers.push({ status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'try again' } }, { status: 200, body: { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 1 } } });
    const client = new DynamoDBClient({ ...options(), maxAttempts: 3 });

    await client.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: '1' } } }));

    const stats = log.drain().A?.['DynamoDB.PutItem'];
    assert.equal(stats?.requests, 2);
    assert.deepEqual(stats?.failed, { InternalServerError: 1 });
    assert.equal(stats?.writeUnits, 1);
  });

  it('asks DynamoDB for the consumed capacity, with a body length to match, and counts it as reads or writes by operation, index writes apart', async () => {
    answers.push(
      { status: 200, body: { Item: { orderId: { S: '1' } }, ConsumedCapacity: { TableName: 'orders', CapacityUnits: 0.5 } } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 3, Table: { CapacityUnits: 1 }, GlobalSecondaryIndexes: { open: { CapacityUnits: 2 } } } } },
    );
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(options()));

    const { Item } = await documents.send(new GetCommand({ TableName: 'orders', Key: { orderId: '1' } }));
    await documents.send(new UpdateCommand({ TableName: 'orders', Key: { orderId: '1' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } }));

    assert.deepEqual(Item, { orderId: '1' });
    assert.ok(received.every(({ headers, body }) => JSON.parse(body).ReturnConsumedCapacity === 'INDEXES' && Number(headers['content-length']) === Buffer.byteLength(body)));
    const calls = log.drain().A ?? {};
    assert.equal(calls['DynamoDB.GetItem']?.readUnits, 0.5);
    assert.equal(calls['DynamoDB.UpdateItem']?.writeUnits, 3);
    assert.equal(calls['DynamoDB.UpdateItem']?.indexWriteUnits, 2);
  });

  it('leaves a request that asks for its consumed capacity itself as it is', async () => {
    const client = new DynamoDBClient(options());

    await client.send(new GetItemCommand({ TableName: 'orders', Key: { orderId: { S: '1' } }, ReturnConsumedCapacity: 'TOTAL' }));

    assert.equal(JSON.parse(received[0]?.body ?? '{}').ReturnConsumedCapacity, 'TOTAL');
  });

  it('bills every item of a write transaction at least 2 WRU, where DynamoDB Local reports one item per table', async () => {
    answers.push({
      status: 200,
      body: {
        ConsumedCapacity: [
          { TableName: 'stock', CapacityUnits: 2, Table: { CapacityUnits: 2 } },
          { TableName: 'orders', CapacityUnits: 4, Table: { CapacityUnits: 2 }, GlobalSecondaryIndexes: { open: { CapacityUnits: 2 } } },
        ],
      },
    });
    const client = new DynamoDBClient(options());
    const decrement = (TableName: string, id: string) => ({ Update: { TableName, Key: { id: { S: id } }, UpdateExpression: 'SET b = b - :one', ExpressionAttributeValues: { ':one': { N: '1' } } } });

    await client.send(new TransactWriteItemsCommand({ TransactItems: [decrement('stock', 'p1'), decrement('stock', 'p2'), decrement('orders', 'o1')] }));

    const stats = log.drain().A?.['DynamoDB.TransactWriteItems'];
    assert.equal(stats?.writeUnits, 4 + 2 + 2);
    assert.equal(stats?.indexWriteUnits, 2);
  });

  it('estimates the write unit of a write whose condition failed, which DynamoDB reports no capacity for', async () => {
    answers.push({ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'no' } });
    const client = new DynamoDBClient(options());

    await assert.rejects(client.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: '1' } }, ConditionExpression: 'attribute_not_exists(orderId)' })), { name: 'ConditionalCheckFailedException' });

    const stats = log.drain().A?.['DynamoDB.PutItem'];
    assert.deepEqual(stats?.failed, { ConditionalCheckFailedException: 1 });
    assert.equal(stats?.estimatedWriteUnits, 1);
    assert.equal(stats?.writeUnits, 0);
  });

  it('counts the messages an SQS receive returned and bills their payload in 64 KB chunks', async () => {
    const big = 'x'.repeat(70 * 1024);
    answers.push({ status: 200, body: { Messages: [{ MessageId: '1', ReceiptHandle: 'r1', Body: big }, { MessageId: '2', ReceiptHandle: 'r2', Body: '{}' }] } });
    const sqs = new SQSClient({ ...options(), md5: false });

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, MaxNumberOfMessages: 10 }));

    assert.equal(Messages.length, 2);
    const stats = log.drain().A?.['SQS.ReceiveMessage'];
    assert.equal(stats?.messages, 2);
    assert.equal(stats?.billedChunks, 2);
    assert.equal(stats?.emptyReceives, 0);
  });

  it('tells an empty receive, a poller idling, from one that brought messages', async () => {
    const sqs = new SQSClient(options());

    await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, WaitTimeSeconds: 20 }));

    const stats = log.drain().A?.['SQS.ReceiveMessage'];
    assert.equal(stats?.emptyReceives, 1);
    assert.equal(stats?.messages, 0);
  });

  it("reads an SNS batch's entries from the query protocol's form", async () => {
    answers.push({
      status: 200,
      body: '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful><member><Id>a</Id><MessageId>1</MessageId></member><member><Id>b</Id><MessageId>2</MessageId></member></Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>',
    });
    const sns = new SNSClient(options());

    const { Successful = [] } = await sns.send(new PublishBatchCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', PublishBatchRequestEntries: [{ Id: 'a', Message: 'one' }, { Id: 'b', Message: 'two' }] }));

    assert.equal(Successful.length, 2);
    const stats = log.drain().A?.['SNS.PublishBatch'];
    assert.equal(stats?.requests, 1);
    assert.equal(stats?.messages, 2);
    assert.equal(stats?.billedChunks, 1);
  });

  it('ignores HTTP requests that are no AWS call', async () => {
    await new Promise<void>((resolve) => http.get(`${endpoint}/health`, (response) => response.resume().on('end', () => resolve())));

    assert.equal(observations.length, 0);
  });
});
