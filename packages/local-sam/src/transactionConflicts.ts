// DynamoDB Local runs one request after another, so it never reports the transaction conflicts
// that DynamoDB reports when requests touch the same item at the same time. This emulation does, by
// DynamoDB's rules ("Transaction conflict handling" in its developer guide), so that
// code under contention meets locally what it meets on AWS:
//
// - a TransactWriteItems that includes an item a running TransactWriteItems, PutItem, UpdateItem
//   or DeleteItem is writing is cancelled: TransactionCanceledException, with the reason
//   TransactionConflict for that item and None for the others;
// - a PutItem, UpdateItem or DeleteItem of an item a running TransactWriteItems includes fails
//   with TransactionConflictException.
//
// It is the `transaction-conflict` kind of the fault injector (faults.ts), applied by awsProxy.ts to
// the calls its rules match; `local-sam start --transaction-conflicts` is the shorthand for such a rule
// on every DynamoDB operation.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';

type AttributeValue = Record<string, unknown>;
type Key = Record<string, AttributeValue>;

interface WriteTarget {
  TableName: string;
  Key?: Key;
  Item?: Key;
}

export interface Write {
  /** A running transaction, or a single-item write. */
  transaction: boolean;
  /** `table|key` of each item it writes, in request order (a transaction's items by index). */
  items: string[];
}

const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

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

/** DynamoDB's answer to a refused write: the error type and, for a transaction, a reason per item. */
export function conflictAnswer(write: Write, conflicting: Set<number>): { statusCode: number; body: object } {
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

/** The writes DynamoDB is running, and the items each holds: what a new write may collide with. */
export class RunningWrites {
  private readonly dynamo: DynamoDBClient;
  private readonly keySchemas = new Map<string, Promise<string[]>>();
  private readonly running = new Set<Write>();

  constructor(dynamoEndpoint: string) {
    this.dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  }

  /** The items a request writes; undefined for a read, or a request that cannot be read (DynamoDB Local's to answer). */
  async writeOf(operation: string, body: Buffer): Promise<Write | undefined> {
    try {
      return await writesOf(operation, JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>, (table) => this.keyNames(table));
    } catch {
      return undefined;
    }
  }

  conflictsOf(write: Write): Set<number> {
    return conflictsOf(write, this.running);
  }

  /** Holds the write's items until the returned release is called (when DynamoDB Local has answered). */
  begin(write: Write): () => void {
    this.running.add(write);
    return () => this.running.delete(write);
  }

  stop(): void {
    this.dynamo.destroy();
  }

  private keyNames(table: string): Promise<string[]> {
    if (!this.keySchemas.has(table)) {
      const names = this.dynamo.send(new DescribeTableCommand({ TableName: table })).then(({ Table }) => (Table?.KeySchema ?? []).map((key) => key.AttributeName ?? ''));
      names.catch(() => this.keySchemas.delete(table));
      this.keySchemas.set(table, names);
    }
    return this.keySchemas.get(table) as Promise<string[]>;
  }
}
