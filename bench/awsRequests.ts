// Counts the AWS requests a client makes, as AWS would bill them: one per HTTP attempt (retries
// included), with the DynamoDB capacity each one consumed as DynamoDB itself reports it (for a
// write transaction, no less than AWS's 2 WRU an item, which DynamoDB Local under-reports), and
// the 64 KB chunks SQS and SNS bill. The middleware only observes, except that it asks DynamoDB to
// return ConsumedCapacity, which changes nothing else about a request.
import type { MiddlewareStack } from '@smithy/types';

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

/** What one HTTP attempt was, as the middleware saw it. */
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

interface Context {
  clientName?: string;
  commandName?: string;
}

type Args = { input: Record<string, unknown>; request?: { body?: unknown } };

const bodyBytes = (body: unknown): number =>
  typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;

export const COUNTER_NAME = 'benchRequestCounter';
const CAPACITY_NAME = 'benchReturnConsumedCapacity';

/**
 * Adds the counting to a client's middleware stack, once (a DynamoDB document client shares its
 * inner client's stack). `scope` names who is calling at the time of each request.
 */
export function countRequests<Input extends object, Output extends object>(clientStack: MiddlewareStack<Input, Output>, log: RequestLog, scope: () => string): void {
  // Only the request's input and output are read, which every client has whatever its types.
  const stack = clientStack as unknown as MiddlewareStack<object, object>;
  if (stack.identify().some((entry) => entry.startsWith(COUNTER_NAME))) return;
  stack.add(
    (next, context: Context) => async (args) => {
      const { input } = args as unknown as Args;
      if (context.clientName === 'DynamoDBClient' && CAPACITY_OPERATIONS.has((context.commandName ?? '').replace(/Command$/, '')) && input.ReturnConsumedCapacity === undefined) {
        // INDEXES: the total, and what of it went to secondary indexes.
        return next({ ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } } as typeof args);
      }
      return next(args);
    },
    { step: 'initialize', priority: 'low', name: CAPACITY_NAME },
  );
  // In the deserialize step, inside the retry loop: every HTTP attempt passes here once.
  stack.add(
    (next, context: Context) => async (args) => {
      const { input, request } = args as unknown as Args;
      const base = {
        service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
        operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
        requestBytes: bodyBytes(request?.body),
        input,
      };
      const started = performance.now();
      try {
        const result = await next(args);
        log.record(scope(), { ...base, latencyMs: performance.now() - started, output: (result.output ?? {}) as Record<string, unknown> });
        return result;
      } catch (error) {
        log.record(scope(), { ...base, latencyMs: performance.now() - started, errorName: (error as Error).name ?? 'Error' });
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: COUNTER_NAME },
  );
}
