// In-memory stand-ins for the order table and the idempotency table behind a mocked SDK, applying
// the conditions the code writes with as DynamoDB would, so that unit tests can play out a whole
// sequence of attempts (first attempt fails here, retry finds this) with the SDK mocked.
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { mockClient } from 'aws-sdk-client-mock';

type Stub = ReturnType<typeof mockClient>;
type Item = Record<string, unknown>;

/** Failures to inject: the next call of an operation fails with the error given for it. */
function injectedFailures() {
  const pending: { operation: string; error: Error }[] = [];
  return {
    failNext(operation: string, error: Error) {
      pending.push({ operation, error });
    },
    failIfAsked(operation: string) {
      const index = pending.findIndex((failure) => failure.operation === operation);
      if (index >= 0) throw pending.splice(index, 1)[0]?.error;
    },
  };
}

const conditionFailed = (item: Item | undefined) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}) });

/** The order table, as the order API writes it: conditional puts and transactions (new orders, and the fences withdrawals leave), sweepSoon, markAnswered. */
export function fakeOrderTable(db: Stub) {
  const items = new Map<string, Item>();
  const { failNext, failIfAsked } = injectedFailures();

  /** Whether a put may write here, as its condition says: a new order where the id is free or fenced by another attempt; a withdrawal's fence where nothing, a fence, or this attempt's untouched order is. */
  const mayPut = (item: Item): boolean => {
    const existing = items.get(String(item.orderId));
    if (!existing) return true;
    if (item.status !== 'WITHDRAWN') return existing.status === 'WITHDRAWN' && existing.createdAt !== item.createdAt;
    return existing.status === 'WITHDRAWN' || (existing.status === 'PENDING' && existing.createdAt === item.createdAt && !existing.creditCheck && !existing.stockCheck && !existing.answeredByReplay);
  };

  db.on(PutCommand).callsFake(async ({ Item }: { Item: Item }) => {
    failIfAsked('Put');
    if (!mayPut(Item)) throw conditionFailed(items.get(String(Item.orderId)));
    items.set(String(Item.orderId), Item);
    return {};
  });
  db.on(TransactWriteCommand).callsFake(async ({ TransactItems }: { TransactItems: { Put: { Item: Item } }[] }) => {
    failIfAsked('TransactWrite');
    const puts = TransactItems.map((entry) => entry.Put.Item);
    if (!puts.every(mayPut)) {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: puts.map((item) => {
          const existing = items.get(String(item.orderId));
          return mayPut(item) ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', ...(existing ? { Item: marshall(existing, { removeUndefinedValues: true }) as Record<string, AttributeValue> } : {}) };
        }),
      });
    }
    for (const item of puts) items.set(String(item.orderId), item);
    return {};
  });
  db.on(UpdateCommand).callsFake(async ({ Key, UpdateExpression, ExpressionAttributeValues }: { Key: { orderId: string }; UpdateExpression: string; ExpressionAttributeValues: Item }) => {
    failIfAsked('Update');
    const existing = items.get(Key.orderId);
    if (UpdateExpression.includes('answeredByReplay')) {
      // markAnswered: an order (no fence) is there.
      if (!existing || existing.status === 'WITHDRAWN') throw conditionFailed(existing);
      existing.answeredByReplay = true;
      return {};
    }
    if (!existing?.sweepAt) throw conditionFailed(existing);
    existing.sweepAt = ExpressionAttributeValues[':now'];
    return {};
  });
  db.on(GetCommand).callsFake(async ({ Key }: { Key: { orderId: string } }) => ({ Item: items.get(Key.orderId) }));

  return {
    items,
    /** The next call of this operation (Put, TransactWrite, Update) fails with `error`. */
    failNext,
  };
}

/** The idempotency table, as Powertools' DynamoDBPersistenceLayer uses it. */
export function fakeIdempotencyTable(client: Stub) {
  const records = new Map<string, Item>();
  const { failNext, failIfAsked } = injectedFailures();
  const keyOf = (key: Record<string, AttributeValue>) => String(unmarshall(key).id);

  client.on(PutItemCommand).callsFake(async ({ Item }: { Item: Record<string, AttributeValue> }) => {
    failIfAsked('PutItem');
    const record = unmarshall(Item);
    const existing = records.get(String(record.id));
    const now = Date.now();
    const free =
      !existing ||
      Number(existing.expiration) < now / 1000 ||
      (existing.status === 'INPROGRESS' && existing.in_progress_expiration !== undefined && Number(existing.in_progress_expiration) < now);
    if (!free) throw conditionFailed(existing);
    records.set(String(record.id), record);
    return {};
  });
  client.on(UpdateItemCommand).callsFake(
    async ({ Key, ExpressionAttributeNames, ExpressionAttributeValues }: { Key: Record<string, AttributeValue>; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, AttributeValue> }) => {
      failIfAsked('UpdateItem');
      const record = records.get(keyOf(Key)) ?? { id: keyOf(Key) };
      const values = unmarshall(ExpressionAttributeValues);
      for (const [placeholder, name] of Object.entries(ExpressionAttributeNames)) record[name] = values[`:${placeholder.slice(1)}`];
      records.set(keyOf(Key), record);
      return {};
    },
  );
  client.on(DeleteItemCommand).callsFake(async ({ Key }: { Key: Record<string, AttributeValue> }) => {
    failIfAsked('DeleteItem');
    records.delete(keyOf(Key));
    return {};
  });
  client.on(GetItemCommand).callsFake(async ({ Key }: { Key: Record<string, AttributeValue> }) => {
    const record = records.get(keyOf(Key));
    return record ? { Item: marshall(record) } : {};
  });

  return {
    records,
    /** The next call of this operation (PutItem, UpdateItem, DeleteItem) fails with `error`. */
    failNext,
    /** Makes every in-progress record look as if its invocation had timed out. */
    expireInProgress() {
      for (const record of records.values()) if (record.status === 'INPROGRESS') record.in_progress_expiration = Date.now() - 1;
    },
  };
}
