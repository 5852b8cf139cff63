// AccountTable and StockTable: a balance per key (customerId or productId). Balances are set
// whole by the API and only ever decreased by the shipping transaction, never read-modify-written.
// Every write adds 1 to the item's `version` (the shipping transaction too), so a client that read
// a balance can make its write conditional on nothing having changed since.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Cents } from '../domain/money';
import { moneyValue, readCents, readInteger } from './numbers';
import { returnedItem } from './orderStore';
import { itemsByKey, type ItemsByKey } from './itemsByKey';
import { retryingTransactionConflicts } from './retry';
import { KEEP_WRITE_TOKEN, newWriteToken, writtenBy } from './writeTokens';

export interface Balance<T> {
  id: string;
  balance: T;
  updatedAt: string;
  /** 1 for an item the API created; an item written by other means (by hand, an import) has none and reads as 0 until its next write. */
  version: number;
}

/** Write only if the item exists, or only if its version is one of these. */
export type WriteCondition = { exists: true } | { versions: number[] };

/** A conditional write found the item changed (or missing): nothing was written. */
export class StaleBalanceError extends Error {}

interface BalanceCodec<T> {
  write(value: T): unknown;
  read(value: unknown): T;
}

const moneyCodec: BalanceCodec<Cents> = { write: moneyValue, read: readCents };
const unitsCodec: BalanceCodec<number> = { write: (units) => units, read: readInteger };

/** The ConditionExpression for a condition; `#key` and `#version` name the key and version attributes. */
function conditionExpression(condition: WriteCondition, values: Record<string, unknown>): string {
  if ('exists' in condition) return 'attribute_exists(#key)';
  const clauses: string[] = [];
  // Version 0 is an item written by other means than this API: it has no version attribute.
  if (condition.versions.includes(0)) clauses.push('(attribute_exists(#key) AND attribute_not_exists(#version))');
  const named = condition.versions.filter((version) => version > 0).map((version, index) => {
    values[`:v${index}`] = version;
    return `:v${index}`;
  });
  if (named.length > 0) clauses.push(`#version IN (${named.join(', ')})`);
  return clauses.join(' OR ');
}

function balanceStore<T>(db: DynamoDBDocumentClient, tableName: string, keyName: string, noun: string, codec: BalanceCodec<T>) {
  const fromItem = (item: Record<string, unknown>): Balance<T> => ({
    id: String(item[keyName]),
    balance: codec.read(item.balance),
    updatedAt: String(item.updatedAt),
    version: item.version === undefined ? 0 : readInteger(item.version),
  });

  return {
    /** Sets the balance (creating the item if new), under the condition when one is given; one UpdateItem. */
    async set(id: string, balance: T, condition?: WriteCondition): Promise<Balance<T>> {
      const stale = () =>
        new StaleBalanceError(
          condition && 'exists' in condition ? `The ${noun} does not exist, so If-Match: * does not match; nothing was changed.` : `The ${noun} has changed since it was read (If-Match no longer matches its ETag); nothing was changed. Read it again and retry with its current ETag.`,
        );
      if (condition && 'versions' in condition && condition.versions.length === 0) throw stale();
      // The SDK may resend this write after its answer was lost: its token tells its own success from another write.
      const { token, values: tokenValues } = newWriteToken();
      const values: Record<string, unknown> = { ':balance': codec.write(balance), ':now': new Date().toISOString(), ':one': 1, ...tokenValues };
      const ConditionExpression = condition ? conditionExpression(condition, values) : undefined;
      try {
        const { Attributes } = await retryingTransactionConflicts(() =>
          db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { [keyName]: id },
              UpdateExpression: `SET balance = :balance, updatedAt = :now, ${KEEP_WRITE_TOKEN} ADD #version :one`,
              ...(ConditionExpression ? { ConditionExpression } : {}),
              ExpressionAttributeNames: { '#version': 'version', ...(ConditionExpression?.includes('#key') ? { '#key': keyName } : {}) },
              ExpressionAttributeValues: values,
              ReturnValues: 'ALL_NEW',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return fromItem(Attributes ?? {});
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Our own earlier try, answered only now: the item as it is, which includes our write.
        const found = returnedItem(error.Item);
        if (found && writtenBy(found, token)) return fromItem(found);
        throw stale();
      }
    },

    async get(id: string): Promise<Balance<T> | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { [keyName]: id }, ConsistentRead: true }));
      return Item ? fromItem(Item) : undefined;
    },

    /** The balances of many keys in as few reads as DynamoDB allows; each key read, or failed, on its own. */
    async getMany(ids: readonly string[]): Promise<ItemsByKey<T>> {
      return itemsByKey(db, tableName, keyName, ids, (item) => codec.read(item.balance));
    },
  };
}

export const accountStore = (db: DynamoDBDocumentClient, tableName: string) => balanceStore(db, tableName, 'customerId', 'account', moneyCodec);
export const stockStore = (db: DynamoDBDocumentClient, tableName: string) => balanceStore(db, tableName, 'productId', 'product', unitsCodec);

export type AccountStore = ReturnType<typeof accountStore>;
export type StockStore = ReturnType<typeof stockStore>;

