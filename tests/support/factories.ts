// Small builders for the events and payloads the functions receive, so tests state only what matters.
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { OrderPlacedMessage } from '../../src/domain/messages';
import type { CheckResult } from '../../src/domain/order';

let sequence = 0;
const nextId = (prefix: string) => `${prefix}-${++sequence}`;

export function lambdaContext(functionName = 'TestFunction'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: nextId('request'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function sqsRecord(body: unknown, overrides: Partial<SQSRecord> = {}): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId: nextId('message'),
    receiptHandle: nextId('receipt'),
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test-queue',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

export const sqsEvent = (...bodies: unknown[]): SQSEvent => ({ Records: bodies.map((body) => sqsRecord(body)) });

export interface ApiEventInput {
  method: string;
  resource: string;
  path?: string;
  body?: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
}

export function apiEvent({ method, resource, path, body, headers = {}, pathParameters }: ApiEventInput): APIGatewayProxyEvent {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  const allHeaders = text === null ? headers : { 'Content-Type': 'application/json', ...headers };
  return {
    resource,
    path: path ?? resource,
    httpMethod: method,
    headers: allHeaders,
    multiValueHeaders: Object.fromEntries(Object.entries(allHeaders).map(([k, v]) => [k, [v]])),
    pathParameters: pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: text,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: path ?? resource,
      stage: 'test',
      requestId: nextId('api-request'),
      requestTimeEpoch: Date.now(),
      resourceId: 'resource',
      resourcePath: resource,
    },
  };
}

export const orderBody = (overrides: Record<string, unknown> = {}) => ({
  customerId: 'aaa789',
  items: [
    { productId: '456', qty: 1 },
    { productId: '789', qty: 2 },
  ],
  totalAmount: 187.78,
  ...overrides,
});

export const orderPlaced = (overrides: Partial<OrderPlacedMessage> = {}): OrderPlacedMessage => ({
  orderId: nextId('order'),
  customerId: 'aaa789',
  items: [
    { productId: '456', qty: 1 },
    { productId: '789', qty: 2 },
  ],
  totalAmount: '187.78',
  ...overrides,
});

export const checkResult = (overrides: Partial<CheckResult> = {}): CheckResult => ({
  orderId: nextId('order'),
  check: 'CREDIT',
  passed: true,
  detail: 'Credit check passed: balance 1000.00 covers 187.78',
  ...overrides,
});
