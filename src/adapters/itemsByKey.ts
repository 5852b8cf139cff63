// Reads many items of one table by key, with as few BatchGetItem calls as DynamoDB allows (100 keys
// each), so that a batch of messages costs one read however many orders, accounts or products it
// names. Each key still fails or succeeds on its own, as it would with a GetItem of its own: a key
// that no item can have, or an item that cannot be decoded, fails only what asks for that key.
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withRetries } from './retry';

type Item = Record<string, unknown>;

/** DynamoDB's most keys in one BatchGetItem. */
const KEYS_PER_CALL = 100;

/** The items read, by key. */
export interface ItemsByKey<T> {
  /** The item under `key`, undefined if there is none; throws what reading that key alone would have thrown. */
  get(key: string): T | undefined;
}

/** A key DynamoDB refuses (empty, or over 2048 bytes): it would refuse the whole batch read over it, so it is never sent. */
export const isPossibleKey = (key: string) => key !== '' && Buffer.byteLength(key, 'utf8') <= 2048;

export class ImpossibleKeyError extends Error {}

/** Strongly consistent reads of `keys` (repeats read once), decoded on demand. */
export async function itemsByKey<T>(db: DynamoDBDocumentClient, tableName: string, keyName: string, keys: readonly string[], decode: (item: Item) => T): Promise<ItemsByKey<T>> {
  const found = new Map<string, Item>();
  const wanted = [...new Set(keys)].filter(isPossibleKey);
  const calls: string[][] = [];
  for (let start = 0; start < wanted.length; start += KEYS_PER_CALL) calls.push(wanted.slice(start, start + KEYS_PER_CALL));
  await Promise.all(
    calls.map(async (chunk) => {
      let pending: Item[] = chunk.map((key) => ({ [keyName]: key }));
      await withRetries(async () => {
        const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of Responses?.[tableName] ?? []) found.set(String(item[keyName]), item);
        pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (pending.length > 0) throw new Error(`${pending.length} keys were left unprocessed`);
      });
    }),
  );
  return {
    get(key) {
      if (!isPossibleKey(key)) throw new ImpossibleKeyError(`${keyName} of ${Buffer.byteLength(key, 'utf8')} bytes cannot be a DynamoDB key (1 to 2048 bytes)`);
      const item = found.get(key);
      return item === undefined ? undefined : decode(item);
    },
  };
}
