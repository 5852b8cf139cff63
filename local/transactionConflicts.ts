// DynamoDB Local runs one request after another, so it never reports the transaction conflicts
// that DynamoDB reports when requests touch the same item at the same time. This proxy in front of
// it does, by DynamoDB's rules ("Transaction conflict handling" in its developer guide), so that
// code under contention meets locally what it meets on AWS:
//
// - a TransactWriteItems that includes an item a running TransactWriteItems, PutItem, UpdateItem
//   or DeleteItem is writing is cancelled: TransactionCanceledException, with the reason
//   TransactionConflict for that item and None for the others;
// - a PutItem, UpdateItem or DeleteItem of an item a running TransactWriteItems includes fails
//   with TransactionConflictException.
//
// Every other request passes through unchanged. `npm start -- --transaction-conflicts` turns it on.
import { listen, readBody } from './loopbackServer';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';

type AttributeValue = Record<string, unknown>;
type Key = Record<string, AttributeValue>;

interface WriteTarget {
  TableName: string;
  Key?: Key;
  Item?: Key;
}

interface Write {
  /** A running transaction, or a single-item write. */
  transaction: boolean;
  /** `table|key` of each item it writes, in request order (a transaction's items by index). */
  items: string[];
}

export interface ConflictProxy {
  endpoint: string;
  /** Requests refused so far because of a conflict. */
  readonly conflicts: number;
  stop(): Promise<void>;
}

const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const JSON_TYPE = 'application/x-amz-json-1.0';

/** The item a write names, as one string: its table and its key attributes in name order. */
export function itemId(table: string, key: Key): string {
  return `${table}|${JSON.stringify(Object.keys(key).sort().map((name) => [name, key[name]]))}`;
}

/** Which items a request writes, or undefined for a request that writes none this proxy tracks. */
export async function writesOf(operation: string, body: Record<string, unknown>, keyNames: (table: string) => Promise<string[]>): Promise<Write | undefined> {
  const idOf = async ({ TableName, Key, Item }: WriteTarget): Promise<string> => {
    if (Key) return itemId(TableName, Key);
    const names = await keyNames(TableName);
    return itemId(TableName, Object.fromEntries(names.map((name) => [name, (Item ?? {})[name] ?? {}])));
  };
  if (operation === 'TransactWriteItems') {
    const actions = (body.TransactItems ?? []) as Record<string, WriteTarget>[];
    return { transaction: true, items: await Promise.all(actions.map((action) => idOf(Object.values(action)[0] as WriteTarget))) };
  }
  if (SINGLE_WRITES.has(operation)) return { transaction: false, items: [await idOf(body as unknown as WriteTarget)] };
  return undefined;
}

/** Which of the new write's items a running write holds, following DynamoDB's rules; empty if none. */
export function conflictsOf(write: Write, running: Iterable<Write>): Set<number> {
  const conflicting = new Set<number>();
  for (const other of running) {
    // Two single-item writes never conflict: DynamoDB applies them one after the other.
    if (!write.transaction && !other.transaction) continue;
    write.items.forEach((item, index) => {
      if (other.items.includes(item)) conflicting.add(index);
    });
  }
  return conflicting;
}

function conflictAnswer(write: Write, conflicting: Set<number>): { statusCode: number; body: object } {
  if (!write.transaction) {
    return { statusCode: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException', message: 'Transaction is ongoing for the item' } };
  }
  const reasons = write.items.map((_, index) => (conflicting.has(index) ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' }));
  return {
    statusCode: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
}

export async function startConflictProxy(target: string, log: (line: string) => void = () => undefined): Promise<ConflictProxy> {
  const targetUrl = new URL(target);
  const dynamo = new DynamoDBClient({ endpoint: target, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const keySchemas = new Map<string, Promise<string[]>>();
  const keyNames = (table: string): Promise<string[]> => {
    if (!keySchemas.has(table)) {
      const names = dynamo.send(new DescribeTableCommand({ TableName: table })).then(({ Table }) => (Table?.KeySchema ?? []).map((key) => key.AttributeName ?? ''));
      names.catch(() => keySchemas.delete(table));
      keySchemas.set(table, names);
    }
    return keySchemas.get(table) as Promise<string[]>;
  };
  const running = new Set<Write>();
  let conflicts = 0;

  function forward(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const upstream = httpRequest(
        { host: targetUrl.hostname, port: targetUrl.port, method: request.method, path: request.url, headers: { ...request.headers, 'content-length': String(body.length) } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on('end', () => resolve());
          answer.on('error', () => resolve());
        },
      );
      upstream.on('error', () => {
        response.destroy();
        resolve();
      });
      upstream.end(body);
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    let write: Write | undefined;
    try {
      write = await writesOf(operation, JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>, keyNames);
    } catch {
      // A request this proxy cannot read is DynamoDB Local's to answer.
    }
    if (write) {
      const conflicting = conflictsOf(write, running);
      if (conflicting.size > 0) {
        conflicts++;
        log(`${operation} refused with a transaction conflict (${[...conflicting].map((index) => write.items[index]).join(', ')})`);
        const answer = conflictAnswer(write, conflicting);
        const payload = Buffer.from(JSON.stringify(answer.body));
        response.writeHead(answer.statusCode, { 'Content-Type': JSON_TYPE, 'Content-Length': String(payload.length), 'x-amzn-RequestId': 'local-conflict' });
        response.end(payload);
        return;
      }
      running.add(write);
    }
    try {
      await forward(request, body, response);
    } finally {
      if (write) running.delete(write);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const listening = await listen(server, 0, '127.0.0.1');
  return {
    endpoint: listening.url,
    get conflicts() {
      return conflicts;
    },
    stop: () => {
      dynamo.destroy();
      return listening.close();
    },
  };
}
