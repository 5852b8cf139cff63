// The request counter against real SDK clients whose HTTP layer answers from a script, so every
// count here is what the middleware saw of real serialised requests. Run: npm run test:bench
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { countRequests, RequestLog } from './awsRequests';

interface Answer {
  status: number;
  body: object;
  headers?: Record<string, string>;
}

/** An HTTP handler that records each request body and answers with the next scripted answer. */
function scriptedHttp(answers: Answer[]) {
  const sent: string[] = [];
  return {
    sent,
    handler: {
      async handle(request: { body?: unknown }) {
        sent.push(String(request.body ?? ''));
        const answer = answers.shift() ?? { status: 200, body: {} };
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'application/x-amz-json-1.0', ...(answer.headers ?? {}) },
            body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
          },
        };
      },
    },
  };
}

const clientOptions = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, endpoint: 'http://127.0.0.1:1' };

describe('countRequests', () => {
  it('counts every HTTP attempt, retries included, and the error of the failed one', async () => {
    const http = scriptedHttp([
      { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'try again' } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 1 } } },
    ]);
    const client = new DynamoDBClient({ ...clientOptions, requestHandler: http.handler, maxAttempts: 3 });
    const log = new RequestLog();
    countRequests(client.middlewareStack, log, () => 'OrderApiFunction');

    await client.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: '1' } } }));

    const stats = log.drain().OrderApiFunction?.['DynamoDB.PutItem'];
    assert.equal(stats?.requests, 2);
    assert.deepEqual(stats?.failed, { InternalServerError: 1 });
    assert.equal(stats?.writeUnits, 1);
  });

  it('asks DynamoDB for the consumed capacity and counts it as reads or writes by operation, index writes apart', async () => {
    const http = scriptedHttp([
      { status: 200, body: { Item: { orderId: { S: '1' } }, ConsumedCapacity: { TableName: 'orders', CapacityUnits: 0.5 } } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 3, Table: { CapacityUnits: 1 }, GlobalSecondaryIndexes: { open: { CapacityUnits: 2 } } } } },
    ]);
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientOptions, requestHandler: http.handler }));
    const log = new RequestLog();
    countRequests(documents.middlewareStack, log, () => 'ShipOrderFunction');

    await documents.send(new GetCommand({ TableName: 'orders', Key: { orderId: '1' } }));
    await documents.send(new UpdateCommand({ TableName: 'orders', Key: { orderId: '1' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } }));

    assert.ok(http.sent.every((body) => JSON.parse(body).ReturnConsumedCapacity === 'INDEXES'));
    const calls = log.drain().ShipOrderFunction ?? {};
    assert.equal(calls['DynamoDB.GetItem']?.readUnits, 0.5);
    assert.equal(calls['DynamoDB.UpdateItem']?.writeUnits, 3);
    assert.equal(calls['DynamoDB.UpdateItem']?.indexWriteUnits, 2);
  });

  it('bills every item of a write transaction at least 2 WRU, where DynamoDB Local reports one item per table', async () => {
    const http = scriptedHttp([
      {
        status: 200,
        body: {
          ConsumedCapacity: [
            { TableName: 'stock', CapacityUnits: 2, Table: { CapacityUnits: 2 } },
            { TableName: 'orders', CapacityUnits: 4, Table: { CapacityUnits: 2 }, GlobalSecondaryIndexes: { open: { CapacityUnits: 2 } } },
          ],
        },
      },
    ]);
    const client = new DynamoDBClient({ ...clientOptions, requestHandler: http.handler });
    const log = new RequestLog();
    countRequests(client.middlewareStack, log, () => 'ShipOrderFunction');
    const decrement = (TableName: string, id: string) => ({ Update: { TableName, Key: { id: { S: id } }, UpdateExpression: 'SET b = b - :one', ExpressionAttributeValues: { ':one': { N: '1' } } } });

    await client.send(new TransactWriteItemsCommand({ TransactItems: [decrement('stock', 'p1'), decrement('stock', 'p2'), decrement('orders', 'o1')] }));

    const stats = log.drain().ShipOrderFunction?.['DynamoDB.TransactWriteItems'];
    assert.equal(stats?.writeUnits, 4 + 2 + 2);
    assert.equal(stats?.indexWriteUnits, 2);
  });

  it('adds itself once to a stack that a document client shares with its client', async () => {
    const http = scriptedHttp([{ status: 200, body: {} }]);
    const client = new DynamoDBClient({ ...clientOptions, requestHandler: http.handler });
    const documents = DynamoDBDocumentClient.from(client);
    const log = new RequestLog();
    countRequests(client.middlewareStack, log, () => 'A');
    countRequests(documents.middlewareStack, log, () => 'A');

    await documents.send(new GetCommand({ TableName: 'orders', Key: { orderId: '1' } }));

    assert.equal(log.drain().A?.['DynamoDB.GetItem']?.requests, 1);
  });

  it('estimates the write unit of a write whose condition failed, which DynamoDB reports no capacity for', async () => {
    const http = scriptedHttp([{ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'no' } }]);
    const client = new DynamoDBClient({ ...clientOptions, requestHandler: http.handler });
    const log = new RequestLog();
    countRequests(client.middlewareStack, log, () => 'A');

    await assert.rejects(client.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: '1' } }, ConditionExpression: 'attribute_not_exists(orderId)' })));

    const stats = log.drain().A?.['DynamoDB.PutItem'];
    assert.deepEqual(stats?.failed, { ConditionalCheckFailedException: 1 });
    assert.equal(stats?.estimatedWriteUnits, 1);
    assert.equal(stats?.writeUnits, 0);
  });

  it('counts the messages an SQS receive returned and bills their payload in 64 KB chunks', async () => {
    const big = 'x'.repeat(70 * 1024);
    const http = scriptedHttp([{ status: 200, body: { Messages: [{ MessageId: '1', ReceiptHandle: 'r1', Body: big, MD5OfBody: '' }, { MessageId: '2', ReceiptHandle: 'r2', Body: '{}', MD5OfBody: '' }] } }]);
    const sqs = new SQSClient({ ...clientOptions, requestHandler: http.handler, md5: false });
    const log = new RequestLog();
    countRequests(sqs.middlewareStack, log, () => 'event source mappings');

    await sqs.send(new ReceiveMessageCommand({ QueueUrl: 'http://127.0.0.1:1/000000000000/q', MaxNumberOfMessages: 10 }));

    const stats = log.drain()['event source mappings']?.['SQS.ReceiveMessage'];
    assert.equal(stats?.messages, 2);
    assert.equal(stats?.billedChunks, 2);
    assert.equal(stats?.emptyReceives, 0);
  });

  it('tells an empty receive, a poller idling, from one that brought messages', async () => {
    const http = scriptedHttp([{ status: 200, body: {} }]);
    const sqs = new SQSClient({ ...clientOptions, requestHandler: http.handler });
    const log = new RequestLog();
    countRequests(sqs.middlewareStack, log, () => 'event source mappings');

    await sqs.send(new ReceiveMessageCommand({ QueueUrl: 'http://127.0.0.1:1/000000000000/q', WaitTimeSeconds: 20 }));

    const stats = log.drain()['event source mappings']?.['SQS.ReceiveMessage'];
    assert.equal(stats?.emptyReceives, 1);
    assert.equal(stats?.messages, 0);
  });
});
