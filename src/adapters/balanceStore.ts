// AccountTable and StockTable: a balance per key (customerId or productId). Balances are set
// whole by the API and only ever decreased by the shipping transaction, never read-modify-written.
import { BatchGetCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Cents } from '../domain/money';
import { moneyValue, readCents, readInteger } from './numbers';
import { retryingTransactionConflicts, withRetries } from './retry';

export interface Balance<T> {
  id: string;
  balance: T;
  updatedAt: string;
}

interface BalanceCodec<T> {
  write(value: T): unknown;
  read(value: unknown): T;
}

const moneyCodec: BalanceCodec<Cents> = { write: moneyValue, read: readCents };
const unitsCodec: BalanceCodec<number> = { write: (units) => units, read: readInteger };

function balanceStore<T>(db: DynamoDBDocumentClient, tableName: string, keyName: string, codec: BalanceCodec<T>) {
  const fromItem = (item: Record<string, unknown>): Balance<T> => ({
    id: String(item[keyName]),
    balance: codec.read(item.balance),
    updatedAt: String(item.updatedAt),
  });

  return {
    async set(id: string, balance: T, now = new Date().toISOString()): Promise<Balance<T>> {
      await retryingTransactionConflicts(() => db.send(new PutCommand({ TableName: tableName, Item: { [keyName]: id, balance: codec.write(balance), updatedAt: now } })));
      return { id, balance, updatedAt: now };
    },

    async get(id: string): Promise<Balance<T> | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { [keyName]: id }, ConsistentRead: true }));
      return Item ? fromItem(Item) : undefined;
    },

    /** Balances of up to 100 keys; missing keys are absent from the map. */
    async getMany(ids: string[]): Promise<Map<string, T>> {
      const found = new Map<string, T>();
      let keys = [...new Set(ids)].map((id) => ({ [keyName]: id }));
      if (keys.length === 0) return found;
      await withRetries(async () => {
        const { Responses, UnprocessedKeys } = await db.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of Responses?.[tableName] ?? []) {
          const balance = fromItem(item);
          found.set(balance.id, balance.balance);
        }
        keys = (UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys;
        if (keys.length > 0) throw new Error(`${keys.length} keys were left unprocessed`);
      });
      return found;
    },
  };
}

export const accountStore = (db: DynamoDBDocumentClient, tableName: string) => balanceStore(db, tableName, 'customerId', moneyCodec);
export const stockStore = (db: DynamoDBDocumentClient, tableName: string) => balanceStore(db, tableName, 'productId', unitsCodec);

export type AccountStore = ReturnType<typeof accountStore>;
export type StockStore = ReturnType<typeof stockStore>;

