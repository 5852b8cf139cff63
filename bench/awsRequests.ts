// Counts the AWS requests a thread makes, as AWS would bill them: one per HTTP attempt (retries
// included), with the DynamoDB capacity each one consumed as DynamoDB itself reports it (for a
// write transaction, no less than AWS's 2 WRU an item, which DynamoDB Local under-reports), and
// the 64 KB chunks SQS and SNS bill. It watches node:http, which the AWS SDK's HTTP handler sends
// every attempt through, so it counts the same whether a function bundles the SDK or not. It only
// observes, except that it asks DynamoDB to return ConsumedCapacity, which changes nothing else
// about a request.
import type http from 'node:http';
import { wireCallOf } from 'local-sam/tools';

export interface CallStats {
  /** HTTP requests sent, each retry included. */
  requests: number;
  /** Requests that failed, by error name. */
  failed: Record<string, number>;
  /** SQS/SNS billing units: each 64 KB chunk of a request's payload is one request. */
  billedChunks: number;
  /** Messages sent, published, received or deleted (a batch counts its entries). */
  messages: number;
  /** Receives that returned no message: on AWS a poller's idle cost, not a cost of any order. */
  emptyReceives: number;
  /** DynamoDB capacity as reported in ConsumedCapacity. */
  readUnits: number;
  writeUnits: number;
  /** The part of writeUnits spent on secondary indexes (asked for with ReturnConsumedCapacity INDEXES). */
  indexWriteUnits: number;
  /** Writes refused by their condition report no capacity; AWS still bills them (1 WRU per item assumed, 2 in a transaction). */
  estimatedWriteUnits: number;
  latencyMsTotal: number;
  /** Up to SAMPLE_LIMIT latencies, for medians. */
  latencySamples: number[];
}

/** scope (who called: a function's logical id, or the event source mappings) -> `Service.Operation` -> stats. */
export type Tally = Record<string, Record<string, CallStats>>;

const SAMPLE_LIMIT = 2000;
const CHUNK_BYTES = 64 * 1024;

const CAPACITY_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems']);
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

export const emptyStats = (): CallStats => ({
  requests: 0,
  failed: {},
  billedChunks: 0,
  messages: 0,
  emptyReceives: 0,
  readUnits: 0,
  writeUnits: 0,
  indexWriteUnits: 0,
  estimatedWriteUnits: 0,
  latencyMsTotal: 0,
  latencySamples: [],
});

export function mergeStats(into: CallStats, from: CallStats): CallStats {
  into.requests += from.requests;
  for (const [name, count] of Object.entries(from.failed)) into.failed[name] = (into.failed[name] ?? 0) + count;
  into.billedChunks += from.billedChunks;
  into.messages += from.messages;
  into.emptyReceives += from.emptyReceives;
  into.readUnits += from.readUnits;
  into.writeUnits += from.writeUnits;
  into.indexWriteUnits += from.indexWriteUnits;
  into.estimatedWriteUnits += from.estimatedWriteUnits;
  into.latencyMsTotal += from.latencyMsTotal;
  const room = SAMPLE_LIMIT - into.latencySamples.length;
  if (room > 0) into.latencySamples.push(...from.latencySamples.slice(0, room));
  return into;
}

export function mergeTally(into: Tally, from: Tally): Tally {
  for (const [scope, calls] of Object.entries(from)) {
    const target = (into[scope] ??= {});
    for (const [call, stats] of Object.entries(calls)) target[call] = mergeStats(target[call] ?? emptyStats(), stats);
  }
  return into;
}

/** What one HTTP attempt was, as node:http carried it. */
export interface Observation {
  service: string;
  operation: string;
  latencyMs: number;
  requestBytes: number;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
  errorName?: string;
}

type Units = { CapacityUnits?: number };
type Capacity = Units & { Table?: Units; GlobalSecondaryIndexes?: Record<string, Units>; LocalSecondaryIndexes?: Record<string, Units> };

const entriesOf = (consumed: unknown) => (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Capacity[];

function capacityUnits(consumed: unknown): number {
  return entriesOf(consumed).reduce((total, entry) => total + (entry.CapacityUnits ?? 0), 0);
}

function indexUnits(consumed: unknown): number {
  const indexes = entriesOf(consumed).flatMap((entry) => [...Object.values(entry.GlobalSecondaryIndexes ?? {}), ...Object.values(entry.LocalSecondaryIndexes ?? {})]);
  return indexes.reduce((total, index) => total + (index.CapacityUnits ?? 0), 0);
}

const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

type TransactItem = Record<string, { TableName?: string } | undefined>;

/**
 * A write transaction's units. AWS bills every item at least 2 WRU; DynamoDB Local reports, per
 * table, the units of one item however many of the transaction's items are on that table (two
 * products: 2 where AWS bills 4). Each table's own units are raised to that floor; index units
 * are kept as reported.
 */
function transactionWriteUnits(input: Record<string, unknown>, consumed: unknown): number {
  const itemsPerTable = new Map<string, number>();
  for (const item of (input.TransactItems ?? []) as TransactItem[]) {
    const table = Object.values(item).find((action) => action?.TableName)?.TableName;
    if (table) itemsPerTable.set(table, (itemsPerTable.get(table) ?? 0) + 1);
  }
  return entriesOf(consumed).reduce((total, entry) => {
    const index = indexUnits([entry]);
    const own = entry.Table?.CapacityUnits ?? (entry.CapacityUnits ?? 0) - index;
    const floor = 2 * (itemsPerTable.get((entry as { TableName?: string }).TableName ?? '') ?? 0);
    return total + Math.max(own, floor) + index;
  }, 0);
}

/** How many messages a request moved: what a batch carried, what a receive returned. */
function messagesOf(observation: Observation): number {
  const { operation, input, output } = observation;
  switch (operation) {
    case 'SendMessage':
    case 'Publish':
    case 'DeleteMessage':
      return 1;
    case 'SendMessageBatch':
    case 'DeleteMessageBatch':
      return count(input.Entries);
    case 'PublishBatch':
      return count(input.PublishBatchRequestEntries);
    case 'ReceiveMessage':
      return count(output?.Messages);
    default:
      return 0;
  }
}

/** The payload SQS or SNS bills in 64 KB chunks: what was sent, or for a receive what came back. */
function billedChunksOf(observation: Observation): number {
  if (observation.service !== 'SQS' && observation.service !== 'SNS') return 0;
  let bytes = observation.requestBytes;
  if (observation.operation === 'ReceiveMessage') {
    const messages = (observation.output?.Messages ?? []) as { Body?: string }[];
    bytes = messages.reduce((total, message) => total + Buffer.byteLength(message.Body ?? ''), 0);
  }
  return Math.max(1, Math.ceil(bytes / CHUNK_BYTES));
}

export class RequestLog {
  private tally: Tally = {};

  record(scope: string, observation: Observation): void {
    const key = `${observation.service}.${observation.operation}`;
    const stats = ((this.tally[scope] ??= {})[key] ??= emptyStats());
    stats.requests += 1;
    stats.latencyMsTotal += observation.latencyMs;
    if (stats.latencySamples.length < SAMPLE_LIMIT) stats.latencySamples.push(observation.latencyMs);
    stats.billedChunks += billedChunksOf(observation);
    const messages = messagesOf(observation);
    stats.messages += messages;
    if (observation.operation === 'ReceiveMessage' && !observation.errorName && messages === 0) stats.emptyReceives += 1;
    if (observation.errorName) {
      stats.failed[observation.errorName] = (stats.failed[observation.errorName] ?? 0) + 1;
      if (observation.service === 'DynamoDB') {
        if (observation.errorName === 'ConditionalCheckFailedException' && SINGLE_WRITES.has(observation.operation)) stats.estimatedWriteUnits += 1;
        if (observation.errorName === 'TransactionCanceledException' && observation.operation === 'TransactWriteItems') stats.estimatedWriteUnits += 2 * count(observation.input.TransactItems);
      }
      return;
    }
    if (observation.service === 'DynamoDB') {
      const units = capacityUnits(observation.output?.ConsumedCapacity);
      if (READ_OPERATIONS.has(observation.operation)) stats.readUnits += units;
      else {
        stats.writeUnits += observation.operation === 'TransactWriteItems' ? transactionWriteUnits(observation.input, observation.output?.ConsumedCapacity) : units;
        stats.indexWriteUnits += indexUnits(observation.output?.ConsumedCapacity);
      }
    }
  }

  /** Everything recorded since the last drain. */
  drain(): Tally {
    const tally = this.tally;
    this.tally = {};
    return tally;
  }

  get empty(): boolean {
    return Object.keys(this.tally).length === 0;
  }
}

type HttpModule = typeof http;
type ResponseListener = (response: http.IncomingMessage) => void;

const SERVICE_NAMES = { dynamodb: 'DynamoDB', sqs: 'SQS', sns: 'SNS' } as const;

/** A query-protocol form as the JSON protocols' input: `Entries.member.2.Id=x` -> `{ Entries: [.., { Id: 'x' }] }` (one level deep, enough to count entries). */
function queryInput(form: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of form) {
    const member = /^([^.]+)\.member\.(\d+)\.(.+)$/.exec(name);
    if (!member) {
      input[name] = value;
      continue;
    }
    const [, list = '', index = '1', field = ''] = member;
    const entries = (input[list] ??= []) as Record<string, string>[];
    (entries[Number(index) - 1] ??= {})[field] = value;
  }
  return input;
}

/** The error's name as the SDK reports it: a JSON `__type` after its namespace, or a query-protocol `<Code>`. */
function errorNameOf(body: string): string {
  try {
    const type = (JSON.parse(body) as { __type?: string }).__type;
    if (type) return type.slice(type.lastIndexOf('#') + 1);
  } catch {
    // Not JSON: the query protocol's XML.
  }
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? 'UnknownError';
}

const bufferOf = (chunk: unknown, encoding?: BufferEncoding): Buffer | undefined =>
  typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;

/**
 * Hands every AWS call this thread sends through `http.request` from now on to `observe`, once its
 * answer has arrived. Must run before the first AWS call: the SDK keeps `http.request` once it has
 * looked it up.
 */
export function observeAwsCalls(httpModule: HttpModule, observe: (observation: Observation) => void): void {
  const request = httpModule.request as (...args: unknown[]) => http.ClientRequest;
  httpModule.request = function countedRequest(this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const written: Buffer[] = [];
    let observed: Omit<Observation, 'latencyMs'> | undefined;
    let json = false;
    const settle = (result: { output?: Record<string, unknown>; errorName?: string }) => {
      if (!observed) return;
      const observation = observed;
      observed = undefined;
      observe({ ...observation, latencyMs: performance.now() - started, ...result });
    };
    // Body chunks reach the response through push(), whoever reads it and however.
    const watch: ResponseListener = (response) => {
      const received: Buffer[] = [];
      const push = response.push;
      response.push = function (chunk: unknown, encoding?: BufferEncoding) {
        if (chunk !== null) {
          const buffer = bufferOf(chunk, encoding);
          if (buffer) received.push(buffer);
        } else if (observed) {
          const body = Buffer.concat(received).toString('utf8');
          if ((response.statusCode ?? 0) >= 300) settle({ errorName: errorNameOf(body) });
          else settle({ output: json && body ? (JSON.parse(body) as Record<string, unknown>) : {} });
        }
        return push.call(this, chunk as Buffer, encoding);
      };
    };
    const callbackAt = args.findIndex((arg) => typeof arg === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as ResponseListener;
      args[callbackAt] = function (this: unknown, response: http.IncomingMessage) {
        watch(response);
        return callback.call(this, response);
      };
    }
    const client = request.apply(this, args);
    if (callbackAt < 0) client.prependOnceListener('response', watch);
    client.once('error', (error: NodeJS.ErrnoException) => settle({ errorName: error.code ?? error.name }));

    const write = client.write as (...values: unknown[]) => boolean;
    client.write = function (this: http.ClientRequest, chunk: unknown, ...rest: unknown[]) {
      const buffer = bufferOf(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : undefined);
      if (buffer) written.push(buffer);
      return write.call(this, chunk, ...rest);
    } as typeof client.write;
    const end = client.end as (chunk: unknown, encoding: unknown, callback: unknown) => http.ClientRequest;
    client.end = function (this: http.ClientRequest, chunk?: unknown, encoding?: unknown, callback?: unknown) {
      if (typeof chunk === 'function') [chunk, encoding, callback] = [undefined, undefined, chunk];
      if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
      const last = bufferOf(chunk, encoding as BufferEncoding | undefined);
      const body = Buffer.concat(last ? [...written, last] : written);
      const call = wireCallOf(this.getHeaders() as http.IncomingHttpHeaders, body);
      if (call) {
        json = call.protocol === 'json';
        let input = json ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>) : queryInput(new URLSearchParams(body.toString('utf8')));
        let requestBytes = body.length;
        // INDEXES: the total, and what of it went to secondary indexes. Only a body sent in one piece can be rewritten.
        if (call.service === 'dynamodb' && CAPACITY_OPERATIONS.has(call.operation) && input.ReturnConsumedCapacity === undefined && written.length === 0 && !this.headersSent) {
          input = { ...input, ReturnConsumedCapacity: 'INDEXES' };
          const rewritten = Buffer.from(JSON.stringify(input));
          this.setHeader('content-length', rewritten.length);
          [chunk, encoding, requestBytes] = [rewritten, undefined, rewritten.length];
        }
        observed = { service: SERVICE_NAMES[call.service], operation: call.operation, requestBytes, input };
      }
      return end.call(this, chunk, encoding, callback);
    } as typeof client.end;
    return client;
  } as typeof httpModule.request;
}
