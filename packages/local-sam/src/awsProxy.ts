// The one HTTP proxy in front of both emulators (DynamoDB Local, fauxqs for SNS and SQS) through
// which the functions and the SQS pollers reach AWS when the stack injects faults (faults.ts). It
// reads each call's service and operation from its wire protocol, asks the injector, and then
// holds the call (slow), answers for the service (throttle, internal-error, transaction-conflict),
// forwards it and cuts the caller's connection before the answer (drop), or just forwards it.
// Provisioning, an app's seed, the tests and the console keep talking to the emulators directly.
//
//   GET /_faults  the injector's counts (FaultCounts, JSON), while the stack runs
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Emulators } from './emulators';
import type { AwsCall, FaultInjector, OperationFault } from './faults';
import { listen, readBody } from './loopbackServer';
import { conflictAnswer, RunningWrites } from './transactionConflicts';

export const COUNTS_PATH = '/_faults';

export type WireCall = AwsCall & { protocol: 'json' | 'query' };

/**
 * Which call a request is. DynamoDB and, in this SDK version, SQS speak AWS JSON 1.0 and name the
 * operation in X-Amz-Target (`DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessage`); SNS (and SQS
 * from older clients) speaks the query protocol, `Action=Publish` in a form body. Query calls of
 * SNS and SQS arrive on one port, as fauxqs serves both: the signature's credential scope says which.
 */
export function wireCallOf(headers: IncomingHttpHeaders, body: Buffer): WireCall | undefined {
  const target = String(headers['x-amz-target'] ?? '');
  const operation = target.slice(target.lastIndexOf('.') + 1);
  if (target.startsWith('DynamoDB_')) return { service: 'dynamodb', operation, protocol: 'json' };
  if (target.startsWith('AmazonSQS.')) return { service: 'sqs', operation, protocol: 'json' };
  if (!String(headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return undefined;
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  if (!action) return undefined;
  const scope = /Credential=[^/,]+\/\d+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
  return { service: scope === 'sqs' ? 'sqs' : 'sns', operation: action, protocol: 'query' };
}

/**
 * The tables a DynamoDB call names, as the wire has them (physical names): its TableName, every
 * table of a transaction's items, or every table of a batch's RequestItems.
 */
export function tableNamesOf(body: Buffer): string[] {
  let request: { TableName?: unknown; TransactItems?: unknown; RequestItems?: unknown };
  try {
    request = JSON.parse(body.toString('utf8')) as typeof request;
  } catch {
    return [];
  }
  const names = new Set<string>();
  if (typeof request.TableName === 'string') names.add(request.TableName);
  if (Array.isArray(request.TransactItems)) {
    for (const item of request.TransactItems as Record<string, { TableName?: unknown } | undefined>[]) {
      for (const action of Object.values(item ?? {})) if (typeof action?.TableName === 'string') names.add(action.TableName);
    }
  }
  if (request.RequestItems && typeof request.RequestItems === 'object') for (const name of Object.keys(request.RequestItems)) names.add(name);
  return [...names];
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const QUERY_NAMESPACES = { sns: 'http://sns.amazonaws.com/doc/2010-03-31/', sqs: 'http://queue.amazonaws.com/doc/2012-11-05/', dynamodb: '' };

/** A service's error answer in its own protocol, as the AWS SDK parses it into its error classes. */
export function errorAnswer(call: WireCall, fault: Extract<OperationFault, { code: string }>, requestId: string = randomUUID()): { statusCode: number; headers: Record<string, string>; body: Buffer } {
  const message = `${fault.kind === 'throttle' ? 'Rate exceeded' : 'We encountered an internal error. Please try again'} (injected by --faults: ${fault.rule})`;
  const type = fault.status < 500 ? 'Sender' : 'Receiver';
  if (call.protocol === 'json') {
    const namespace = call.service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810' : 'com.amazonaws.sqs';
    const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': requestId };
    // SQS's JSON protocol keeps the query protocol's error code in this header, and the SDK takes the code from it.
    if (call.service === 'sqs') headers['x-amzn-query-error'] = `${fault.code};${type}`;
    return { statusCode: fault.status, headers, body: Buffer.from(JSON.stringify({ __type: `${namespace}#${fault.code}`, message })) };
  }
  const xml =
    `<ErrorResponse xmlns="${QUERY_NAMESPACES[call.service]}"><Error><Type>${type}</Type><Code>${fault.code}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { statusCode: fault.status, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, body: Buffer.from(xml) };
}

/**
 * A function's environment with the emulators' addresses (the SDK endpoints and the queue URLs)
 * replaced by the proxy's. A queue URL must name it too: the SQS client sends a call to its
 * QueueUrl's host unless an endpoint is set in code (useQueueUrlAsEndpoint), and fauxqs finds a
 * queue by its name whatever the host.
 */
export function throughProxy(environment: Record<string, string>, emulators: Pick<Emulators, 'dynamoEndpoint' | 'messagingEndpoint'>, endpoint: string): Record<string, string> {
  const origins = [emulators.dynamoEndpoint, emulators.messagingEndpoint];
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const origin = origins.find((candidate) => value === candidate || value.startsWith(`${candidate}/`));
      return [name, origin ? `${endpoint}${value.slice(origin.length)}` : value];
    }),
  );
}

export interface AwsProxy {
  /** Where the functions and pollers send their SDK calls (all three services). */
  endpoint: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface AwsProxyOptions {
  /** The stack's tables, physical name -> logical id: what rules with a `table` match. */
  tables?: Record<string, string>;
}

export async function startAwsProxy(emulators: Pick<Emulators, 'dynamoEndpoint' | 'messagingEndpoint'>, injector: FaultInjector, options: AwsProxyOptions = {}): Promise<AwsProxy> {
  const agent = new Agent({ keepAlive: true });
  const dynamo = new URL(emulators.dynamoEndpoint);
  const messaging = new URL(emulators.messagingEndpoint);
  const writes = injector.emulatesTransactionConflicts ? new RunningWrites(emulators.dynamoEndpoint) : undefined;

  /** Passes the request on; with `drop`, the emulator does what was asked and the caller's connection is cut instead of answered. */
  function forward(request: IncomingMessage, body: Buffer, response: ServerResponse, target: URL, drop: boolean): Promise<void> {
    return new Promise((resolve) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, 'content-length': String(body.length) }, agent },
        (answer) => {
          answer.on('close', () => resolve());
          answer.on('error', () => response.destroy());
          if (drop) {
            answer.resume();
            answer.on('end', () => request.socket.destroy());
            return;
          }
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => {
        response.destroy();
        resolve();
      });
      // A caller that gives up (a poller ending its long poll) ends the emulator's request too.
      response.on('close', () => {
        if (!response.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  }

  function send(response: ServerResponse, answer: { statusCode: number; headers: Record<string, string>; body: Buffer }): void {
    response.writeHead(answer.statusCode, { ...answer.headers, 'Content-Length': String(answer.body.length) });
    response.end(answer.body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method === 'GET' && new URL(request.url ?? '/', 'http://local').pathname === COUNTS_PATH) {
      send(response, { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(injector.counts())) });
      return;
    }
    const wire = wireCallOf(request.headers, body);
    const target = wire?.service === 'dynamodb' ? dynamo : messaging;
    if (!wire) return forward(request, body, response, target, false);
    const call: WireCall = wire.service === 'dynamodb' ? { ...wire, tables: tableNamesOf(body).flatMap((name) => options.tables?.[name] ?? []) } : wire;

    const latency = injector.latencyOf(call);
    // A slow call reaches the emulator once its latency is over even if its caller gave up meanwhile:
    // a service applies a request it received whether or not the caller still waits for the answer.
    if (latency > 0) await sleep(latency);
    const write = writes && call.service === 'dynamodb' ? await writes.writeOf(call.operation, body) : undefined;
    const conflicting = write && writes ? writes.conflictsOf(write) : new Set<number>();
    const fault = injector.faultOf(call, conflicting.size > 0);
    if (fault?.kind === 'transaction-conflict' && write) {
      const answer = conflictAnswer(write, conflicting);
      send(response, { statusCode: answer.statusCode, headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID() }, body: Buffer.from(JSON.stringify(answer.body)) });
      return;
    }
    if (fault?.kind === 'throttle' || fault?.kind === 'internal-error') {
      send(response, errorAnswer(call, fault));
      return;
    }
    const release = write && writes ? writes.begin(write) : () => undefined;
    try {
      await forward(request, body, response, target, fault?.kind === 'drop');
    } finally {
      release();
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const listening = await listen(server, 0, '127.0.0.1');
  return {
    endpoint: listening.url,
    stop: async () => {
      await listening.close();
      agent.destroy();
      writes?.stop();
    },
  };
}
