import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { InternalErrorException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { RequestThrottled, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { COUNTS_PATH, startAwsProxy, tableNamesOf, throughProxy, wireCallOf, type AwsProxy, type AwsProxyOptions, type WireCall } from '../src/awsProxy';
import { FaultInjector, type FaultCounts, type FaultRule } from '../src/faults';

type SdkError = Parameters<typeof isThrottlingError>[0];

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const QUEUE_URL = 'http://127.0.0.1:1/000000000000/work';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:tickets';

function readAll(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** A stand-in for both emulators: answers what the SDK needs, records each call, holds TransactWriteItems until released. */
class Upstream {
  readonly calls: WireCall[] = [];
  release: () => void = () => undefined;
  private server: Server | undefined;

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void readAll(request).then((body) => {
        const call = wireCallOf(request.headers, body);
        if (call) this.calls.push(call);
        const json = (payload: object) => response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
        if (call?.operation === 'SendMessage') {
          const { MessageBody } = JSON.parse(body.toString()) as { MessageBody: string };
          json({ MessageId: 'm1', MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
        } else if (call?.operation === 'Publish') {
          response.writeHead(200, { 'Content-Type': 'text/xml' }).end('<PublishResponse><PublishResult><MessageId>m1</MessageId></PublishResult></PublishResponse>');
        } else if (call?.operation === 'TransactWriteItems') this.release = () => json({});
        else json({});
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  count(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }
}

const upstream = new Upstream();
const proxies: AwsProxy[] = [];

beforeAll(() => upstream.start());
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await upstream.stop();
});
beforeEach(() => {
  upstream.calls.length = 0;
});

/** A proxy with these rules in front of the stand-in, armed, and the real SDK clients pointed at it. */
async function through(rules: FaultRule[], maxAttempts = 1, options: AwsProxyOptions = {}) {
  const injector = new FaultInjector({ seed: 1, rules });
  const proxy = await startAwsProxy({ dynamoEndpoint: upstream.endpoint, messagingEndpoint: upstream.endpoint }, injector, options);
  proxies.push(proxy);
  injector.arm();
  const config = { endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts };
  return {
    proxy,
    injector,
    dynamo: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
  };
}

const getItem = new GetItemCommand({ TableName: 'seat', Key: { deskId: { S: 'p1' } } });
const sendMessage = new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'hello' });
const publish = new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'hello' });

describe('which call a request is', () => {
  it('reads the service and operation of what the installed SDK clients send', async () => {
    const config = { endpoint: upstream.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    await new DynamoDBClient(config).send(getItem);
    await new SQSClient(config).send(sendMessage);
    await new SNSClient(config).send(publish);
    expect(upstream.calls).toEqual([
      { service: 'dynamodb', operation: 'GetItem', protocol: 'json' },
      { service: 'sqs', operation: 'SendMessage', protocol: 'json' },
      { service: 'sns', operation: 'Publish', protocol: 'query' },
    ]);
  });

  it('tells a query-protocol SQS call from SNS by its credential scope, and leaves other requests alone', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const scope = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0` });
    expect(wireCallOf({ ...form, ...scope('sqs') }, Buffer.from('Action=SendMessage&Version=2012-11-05'))).toEqual({ service: 'sqs', operation: 'SendMessage', protocol: 'query' });
    expect(wireCallOf({ ...form, ...scope('sns') }, Buffer.from('Action=AddPermission'))).toEqual({ service: 'sns', operation: 'AddPermission', protocol: 'query' });
    expect(wireCallOf({ 'content-type': 'application/json' }, Buffer.from('{}'))).toBeUndefined();
  });

  it('reads the tables a DynamoDB call names: its own, every one of a transaction’s items, every one of a batch', () => {
    const body = (request: object) => Buffer.from(JSON.stringify(request));
    expect(tableNamesOf(body({ TableName: 'tickets', Key: {} }))).toEqual(['tickets']);
    expect(tableNamesOf(body({ TransactItems: [{ Put: { TableName: 'tickets' } }, { Update: { TableName: 'seat' } }, { ConditionCheck: { TableName: 'tickets' } }] }))).toEqual(['tickets', 'seat']);
    expect(tableNamesOf(body({ RequestItems: { tickets: { Keys: [] }, teams: { Keys: [] } } }))).toEqual(['tickets', 'teams']);
    expect(tableNamesOf(body({ Statement: 'SELECT * FROM tickets' }))).toEqual([]);
    expect(tableNamesOf(Buffer.from('not json'))).toEqual([]);
  });
});

describe('the fault proxy in front of the emulators', () => {
  it('throttles with each service’s own error, which the SDK raises as its class and classifies as throttling', async () => {
    const { dynamo, sqs, sns } = await through([
      { operation: 'dynamodb:*', kind: 'throttle' },
      { operation: 'sqs:*', kind: 'throttle' },
      { operation: 'sns:*', kind: 'throttle' },
    ]);
    const errors = await Promise.all([dynamo.send(getItem), sqs.send(sendMessage), sns.send(publish)].map((sent) => sent.then(() => undefined, (error: unknown) => error as SdkError)));
    expect(errors[0]).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(errors[1]).toBeInstanceOf(RequestThrottled);
    expect(errors[2]).toBeInstanceOf(ThrottledException);
    expect(errors.map((error) => error?.$metadata?.httpStatusCode)).toEqual([400, 403, 429]);
    expect(errors.every((error) => error && isThrottlingError(error))).toBe(true);
    expect(upstream.calls).toEqual([]);
  });

  it('throttles with the other throttling errors when the rule names them', async () => {
    const { dynamo, sqs, sns } = await through([
      { operation: 'dynamodb:*', kind: 'throttle', error: 'ThrottlingException' },
      { operation: 'sqs:*', kind: 'throttle', error: 'ThrottlingException' },
      { operation: 'sns:*', kind: 'throttle', error: 'Throttling' },
    ]);
    const errors = await Promise.all([dynamo.send(getItem), sqs.send(sendMessage), sns.send(publish)].map((sent) => sent.then(() => undefined, (error: unknown) => error as SdkError)));
    expect(errors.map((error) => error?.name)).toEqual(['ThrottlingException', 'ThrottlingException', 'Throttling']);
    expect(errors.every((error) => error && isThrottlingError(error))).toBe(true);
  });

  it('answers an internal error with HTTP 500 as each service names it, which the SDK treats as transient', async () => {
    const { dynamo, sqs, sns } = await through([{ operation: 'dynamodb:*', kind: 'internal-error' }, { operation: 'sqs:*', kind: 'internal-error' }, { operation: 'sns:*', kind: 'internal-error' }]);
    const errors = await Promise.all([dynamo.send(getItem), sqs.send(sendMessage), sns.send(publish)].map((sent) => sent.then(() => undefined, (error: unknown) => error as SdkError)));
    expect(errors[0]).toBeInstanceOf(InternalServerError);
    expect(errors[1]?.name).toBe('InternalFailure');
    expect(errors[2]).toBeInstanceOf(InternalErrorException);
    expect(errors.every((error) => error && isTransientError(error) && error.$metadata?.httpStatusCode === 500)).toBe(true);
  });

  it('lets the SDK’s own retries carry a throttled call through once the throttling stops', async () => {
    const { dynamo, injector } = await through([{ operation: 'dynamodb:GetItem', kind: 'throttle', times: 2 }], 3);
    await expect(dynamo.send(getItem)).resolves.toBeDefined();
    expect(upstream.count('GetItem')).toBe(1);
    expect(injector.counts().rules[0]).toMatchObject({ seen: 3, injected: 2 });
  });

  it('drops a call after the emulator has done it: the caller gets no answer, and a retry does it again', async () => {
    const once = await through([{ operation: 'sqs:SendMessage', kind: 'drop', times: 1 }]);
    const lost = await once.sqs.send(sendMessage).then(() => undefined, (error: unknown) => error as Error);
    expect(lost?.message).toMatch(/socket hang up/);
    expect(upstream.count('SendMessage')).toBe(1);

    const retried = await through([{ operation: 'sqs:SendMessage', kind: 'drop', times: 1 }], 3);
    await expect(retried.sqs.send(sendMessage)).resolves.toMatchObject({ MessageId: 'm1' });
    expect(upstream.count('SendMessage')).toBe(3);
  });

  it('faults only the calls to the table a rule names, by its logical id', async () => {
    const { dynamo } = await through([{ operation: 'dynamodb:GetItem', table: 'SeatTable', kind: 'throttle' }], 1, { tables: { seat: 'SeatTable', tickets: 'TicketTable' } });
    await expect(dynamo.send(getItem)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    await expect(dynamo.send(new GetItemCommand({ TableName: 'tickets', Key: { ticketId: { S: 'o1' } } }))).resolves.toBeDefined();
    expect(upstream.calls.map((call) => call.operation)).toEqual(['GetItem']);
  });

  it('lets a slow call reach the emulator even when its caller gave up waiting, as a service applies what it received', async () => {
    const { sqs } = await through([{ operation: 'sqs:SendMessage', kind: 'slow', latencyMs: 1000 }]);
    await expect(sqs.send(sendMessage, { abortSignal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(upstream.count('SendMessage')).toBe(0);
    for (let waited = 0; upstream.count('SendMessage') === 0 && waited < 4_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.count('SendMessage')).toBe(1);
  });

  it('holds a slow call back before it reaches the emulator', async () => {
    const { dynamo, sqs } = await through([{ operation: 'sqs:SendMessage', kind: 'slow', latencyMs: 500 }]);
    const slow = sqs.send(sendMessage);
    await dynamo.send(getItem);
    expect(upstream.calls.map((call) => call.operation)).toEqual(['GetItem']);
    await expect(slow).resolves.toMatchObject({ MessageId: 'm1' });
    expect(upstream.calls.map((call) => call.operation)).toEqual(['GetItem', 'SendMessage']);
  });

  it('reports transaction conflicts with DynamoDB’s own errors and passes everything else through', async () => {
    const { proxy, injector } = await through([{ operation: 'dynamodb:*', kind: 'transaction-conflict' }]);
    const seatUpdate = (deskId: string) => ({ Update: { TableName: 'seat', Key: { deskId: { S: deskId } }, UpdateExpression: 'SET b = b - :one' } });
    const send = (operation: string, body: object) =>
      fetch(proxy.endpoint, { method: 'POST', headers: { 'x-amz-target': `DynamoDB_20120810.${operation}`, 'Content-Type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });

    const first = send('TransactWriteItems', { TransactItems: [seatUpdate('p1'), seatUpdate('p2')] });
    while (upstream.count('TransactWriteItems') === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const second = await send('TransactWriteItems', { TransactItems: [seatUpdate('p3'), seatUpdate('p2')] });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }] });
    const update = await send('UpdateItem', { TableName: 'seat', Key: { deskId: { S: 'p1' } } });
    expect(await update.json()).toMatchObject({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException' });
    expect((await send('GetItem', { TableName: 'seat', Key: { deskId: { S: 'p1' } } })).status).toBe(200);

    upstream.release();
    expect((await first).status).toBe(200);
    expect((await send('UpdateItem', { TableName: 'seat', Key: { deskId: { S: 'p1' } } })).status).toBe(200);
    expect(upstream.count('TransactWriteItems')).toBe(1);
    expect(injector.counts().rules[0]).toMatchObject({ seen: 5, injected: 2 });
  });

  it('serves the injector’s counts while it runs', async () => {
    const { proxy, sns } = await through([{ operation: 'sns:Publish', kind: 'throttle', fromCall: 2 }]);
    await sns.send(publish);
    await expect(sns.send(publish)).rejects.toBeInstanceOf(ThrottledException);
    const counts = (await (await fetch(`${proxy.endpoint}${COUNTS_PATH}`)).json()) as FaultCounts;
    expect(counts).toMatchObject({ seed: 1, rules: [{ text: 'sns:Publish throttle fromCall=2', seen: 2, injected: 1 }] });
    expect(typeof counts.readyAt).toBe('number');
  });
});

describe('throughProxy', () => {
  it('points a function’s SDK endpoints and queue URLs at the proxy and leaves the rest', () => {
    const emulators = { dynamoEndpoint: 'http://127.0.0.1:8000', messagingEndpoint: 'http://127.0.0.1:4566' };
    expect(
      throughProxy(
        { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566', QUEUE_URL: 'http://127.0.0.1:4566/000000000000/work', OTHER: 'http://127.0.0.1:45660/x', TABLE: 'tickets' },
        emulators,
        'http://127.0.0.1:9999',
      ),
    ).toEqual({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9999', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9999', QUEUE_URL: 'http://127.0.0.1:9999/000000000000/work', OTHER: 'http://127.0.0.1:45660/x', TABLE: 'tickets' });
  });
});
