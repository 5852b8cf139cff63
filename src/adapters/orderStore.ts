// OrderTable access. A request's orders are stored by one conditional write (the commit point of
// an order request); every status change after that is a conditional update on the current status.
// Open orders carry the sweep index's keys (sweepShard, sweepAt); a final state removes them.
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { checkAttribute, FINAL_STATUSES, OrderStatus, READY_TO_SHIP_LOG, type CheckResult, type Order, type OrderProgress } from '../domain/order';
import { sweepShardOf, type DeadLetterSubject } from '../domain/sweep';
import type { StoreOutcome } from '../usecases/placeOrders';
import type { SweptOrder } from '../usecases/sweepOrders';
import { moneyValue, readCents, readInteger } from './numbers';
import { isTransientCancellation, retryingTransactionConflicts, until, withRetries } from './retry';

type Item = Record<string, unknown>;

/** The sparse index of open orders: partition sweepShard, sort sweepAt (when the sweeper should look). */
export const SWEEP_INDEX = 'OrdersToSweep';

/** What every write that makes an order final adds to its update expression. */
export const LEAVE_SWEEP_INDEX = 'REMOVE sweepShard, sweepAt';

/** The order as an item; with `sweepAt`, an open order also enters the sweep index. */
export function toOrderItem(order: Order, sweepAt?: string): Item {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    items: order.items.map(({ productId, qty }) => ({ productId, qty })),
    totalAmount: moneyValue(order.totalCents),
    status: order.status,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    logs: order.logs,
    ...(order.creditCheck ? { creditCheck: order.creditCheck } : {}),
    ...(order.stockCheck ? { stockCheck: order.stockCheck } : {}),
    ...(sweepAt !== undefined && !FINAL_STATUSES.includes(order.status) ? { sweepShard: sweepShardOf(order.orderId), sweepAt } : {}),
  };
}

export function fromOrderItem(item: Item): Order {
  const items = item.items as Item[];
  return {
    orderId: String(item.orderId),
    customerId: String(item.customerId),
    items: items.map((line) => ({ productId: String(line.productId), qty: readInteger(line.qty) })),
    totalCents: readCents(item.totalAmount),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    logs: (item.logs as unknown[]).map(String),
    ...progressOf(item),
  };
}

const progressOf = (item: Item): OrderProgress => ({
  status: item.status as OrderStatus,
  ...(item.creditCheck ? { creditCheck: item.creditCheck as 'PASSED' | 'FAILED' } : {}),
  ...(item.stockCheck ? { stockCheck: item.stockCheck as 'PASSED' | 'FAILED' } : {}),
});

/** An item that a condition failure or a cancelled transaction handed back (raw attribute values). */
const returnedItem = (item: Record<string, unknown> | undefined): Item | undefined =>
  item ? unmarshall(item as Record<string, AttributeValue>, { wrapNumbers: true }) : undefined;

/**
 * What a withdrawal leaves under each id it withdrew: no order, but a fence. A write of new orders
 * may take an id that is free or fenced by another attempt, never one fenced by its own attempt,
 * so the write of an attempt that was abandoned, withdrawn and answered 503 cannot land afterwards
 * (DynamoDB may still apply a request its caller gave up on). Readers see no order there.
 */
const WITHDRAWN = 'WITHDRAWN';
/** Whether an item of the order table is an order (not the fence a withdrawal left). */
export const isOrder = (item: Item | undefined): item is Item => item !== undefined && item.status !== WITHDRAWN;

const returnedOrder = (item: Record<string, unknown> | undefined): Order | undefined => {
  const returned = returnedItem(item);
  return isOrder(returned) ? fromOrderItem(returned) : undefined;
};

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException => error instanceof ConditionalCheckFailedException;

/** DynamoDB refuses a whole batch read over one key it cannot hold (empty, or over 2048 bytes): no order has such an id. */
const isPossibleKey = (orderId: string) => orderId !== '' && Buffer.byteLength(orderId, 'utf8') <= 2048;

export interface Deadline {
  /** Epoch milliseconds by which the call gives up (the caller must answer by then). */
  deadline?: number;
}

class TransactionContendedError extends Error {}

export function orderStore(db: DynamoDBDocumentClient, tableName: string, now: () => string = () => new Date().toISOString()) {
  /** Runs a conditional update; false when the condition did not hold. */
  async function updateIf(command: UpdateCommand, deadline?: number): Promise<boolean> {
    try {
      await retryingTransactionConflicts(() => db.send(command, until(deadline)), deadline);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Moves an order still in `status` (and, with `check`, still without that check's result) to REJECTED with the reason; false if it had moved on. */
  function rejectIfStill(orderId: string, status: OrderStatus, logLine: string, check?: 'creditCheck' | 'stockCheck'): Promise<boolean> {
    return updateIf(
      new UpdateCommand({
        TableName: tableName,
        Key: { orderId },
        UpdateExpression: `SET #status = :rejected, logs = list_append(logs, :line), updatedAt = :now ${LEAVE_SWEEP_INDEX}`,
        ConditionExpression: check ? '#status = :expected AND attribute_not_exists(#check)' : '#status = :expected',
        ExpressionAttributeNames: { '#status': 'status', ...(check ? { '#check': check } : {}) },
        ExpressionAttributeValues: { ':rejected': OrderStatus.Rejected, ':expected': status, ':line': [logLine], ':now': now() },
      }),
    );
  }

  const putNew = (order: Order, sweepAt: string) => ({
    TableName: tableName,
    Item: toOrderItem(order, sweepAt),
    ConditionExpression: 'attribute_not_exists(orderId) OR (#status = :withdrawn AND createdAt <> :createdAt)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':withdrawn': WITHDRAWN, ':createdAt': order.createdAt },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  });

  return {
    async getOrder(orderId: string): Promise<Order | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }));
      return isOrder(Item) ? fromOrderItem(Item) : undefined;
    },

    /** Orders by id (any number); ids with no order are absent from the map. */
    async getOrders(orderIds: string[]): Promise<Map<string, Order>> {
      const found = new Map<string, Order>();
      const wanted = [...new Set(orderIds)].filter(isPossibleKey);
      for (let start = 0; start < wanted.length; start += 100) {
        let keys: Item[] = wanted.slice(start, start + 100).map((orderId) => ({ orderId }));
        await withRetries(async () => {
          const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          for (const item of (Responses?.[tableName] ?? []).filter(isOrder)) found.set(String(item.orderId), fromOrderItem(item));
          keys = UnprocessedKeys?.[tableName]?.Keys ?? [];
          if (keys.length > 0) throw new Error(`${keys.length} orders were left unread`);
        });
      }
      return found;
    },

    /**
     * Stores a request's new orders, all or none, each only where its id is free: one PutItem for
     * one order, else one TransactWriteItems of conditional puts (2 write units per order instead of
     * 1, the price of all-or-none). The SDK's retries after a dropped connection are safe: a
     * transaction carries a ClientRequestToken that the SDK reuses on its retries, and a put that
     * already happened comes back as a condition failure holding the order itself.
     */
    async storeNewOrders(orders: Order[], sweepAt: string, { deadline }: Deadline = {}): Promise<StoreOutcome> {
      const [only] = orders;
      if (orders.length === 1 && only) {
        try {
          await retryingTransactionConflicts(() => db.send(new PutCommand(putNew(only, sweepAt)), until(deadline)), deadline);
          return { stored: true };
        } catch (error) {
          if (isConditionFailure(error)) return { stored: false, found: [returnedOrder(error.Item)] };
          throw error;
        }
      }
      return withRetries(
        async (): Promise<StoreOutcome> => {
          try {
            await db.send(new TransactWriteCommand({ TransactItems: orders.map((order) => ({ Put: putNew(order, sweepAt) })) }), until(deadline));
            return { stored: true };
          } catch (error) {
            if (!(error instanceof TransactionCanceledException)) throw error;
            const reasons = error.CancellationReasons ?? [];
            if (reasons.some(isTransientCancellation)) throw new TransactionContendedError('storing the orders lost a race; retrying', { cause: error });
            if (!reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) throw error;
            return { stored: false, found: orders.map((_, index) => (reasons[index]?.Code === 'ConditionalCheckFailed' ? returnedOrder(reasons[index]?.Item) : undefined)) };
          }
        },
        { isRetryable: (error) => error instanceof TransactionContendedError, ...(deadline === undefined ? {} : { deadline }) },
      );
    },

    /**
     * Takes back orders that this attempt may or may not have stored (its write's outcome is
     * unknown), as long as nothing has happened to them: still PENDING with no check result, and
     * written by this attempt (same createdAt), so an order that an earlier attempt stored and
     * announced is never touched. Nobody was told of them, so nothing can be in flight for them.
     * Each id is left fenced (WITHDRAWN) rather than free, whether the write had landed or not, so
     * that the write cannot land later. All or none, as they were stored: one transaction for
     * several orders, so that a withdrawal cut short never leaves part of a request behind (a retry
     * with its Idempotency-Key recognises its request only by finding all of its orders).
     */
    async withdrawOrders(orders: Order[], { deadline }: Deadline = {}): Promise<void> {
      const fence = (order: Order) => ({
        TableName: tableName,
        Item: { orderId: order.orderId, status: WITHDRAWN, createdAt: order.createdAt },
        ConditionExpression:
          'attribute_not_exists(orderId) OR #status = :withdrawn OR (#status = :pending AND createdAt = :createdAt AND attribute_not_exists(creditCheck) AND attribute_not_exists(stockCheck))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':withdrawn': WITHDRAWN, ':pending': OrderStatus.Pending, ':createdAt': order.createdAt },
      });
      const [only] = orders;
      const withdraw = async (): Promise<void> => {
        if (orders.length === 1 && only) await db.send(new PutCommand(fence(only)), until(deadline));
        else await db.send(new TransactWriteCommand({ TransactItems: orders.map((order) => ({ Put: fence(order) })) }), until(deadline));
      };
      // Another attempt's order, or one that has moved on: not this attempt's to take back.
      const notOurs = (error: unknown) =>
        isConditionFailure(error) ||
        (error instanceof TransactionCanceledException && !(error.CancellationReasons ?? []).some(isTransientCancellation) && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));
      try {
        await withRetries(withdraw, { isRetryable: (error) => !notOurs(error), ...(deadline === undefined ? {} : { deadline }) });
      } catch (error) {
        if (!notOurs(error)) throw error;
      }
    },

    /** Brings the sweeper's next look at these open orders forward to now: it announces them at its next run. */
    async sweepSoon(orderIds: string[], { deadline }: Deadline = {}): Promise<void> {
      const at = now();
      await Promise.all(
        orderIds.map((orderId) =>
          updateIf(
            new UpdateCommand({
              TableName: tableName,
              Key: { orderId },
              UpdateExpression: 'SET sweepAt = :now',
              ConditionExpression: 'attribute_exists(sweepAt)',
              ExpressionAttributeValues: { ':now': at },
            }),
            deadline,
          ),
        ),
      );
    },

    async recordPassedCheck(result: CheckResult): Promise<OrderProgress | undefined> {
      const attribute = checkAttribute(result.check);
      try {
        const { Attributes } = await retryingTransactionConflicts(() =>
          db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { orderId: result.orderId },
              UpdateExpression: 'SET #check = :passed, logs = list_append(logs, :line), updatedAt = :now',
              ConditionExpression: '#status = :pending AND attribute_not_exists(#check)',
              ExpressionAttributeNames: { '#check': attribute, '#status': 'status' },
              ExpressionAttributeValues: { ':passed': 'PASSED', ':line': [result.detail], ':now': now(), ':pending': OrderStatus.Pending },
              ReturnValues: 'ALL_NEW',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return Attributes ? progressOf(Attributes) : undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Already recorded, or the order has moved on (or does not exist): report where it stands.
        const item = returnedItem(error.Item);
        return item ? progressOf(item) : undefined;
      }
    },

    rejectForFailedCheck(result: CheckResult): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId: result.orderId },
          UpdateExpression: `SET #status = :rejected, #check = :failed, logs = list_append(logs, :line), updatedAt = :now ${LEAVE_SWEEP_INDEX}`,
          ConditionExpression: '#status = :pending AND attribute_not_exists(#check)',
          ExpressionAttributeNames: { '#status': 'status', '#check': checkAttribute(result.check) },
          ExpressionAttributeValues: {
            ':rejected': OrderStatus.Rejected,
            ':failed': 'FAILED',
            ':line': [result.detail],
            ':now': now(),
            ':pending': OrderStatus.Pending,
          },
        }),
      );
    },

    /** PENDING with both checks passed -> READY_TO_SHIP. The sweep index keys stay: the sweeper still looks at it when its time comes. */
    markReadyToShip(orderId: string): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId },
          UpdateExpression: 'SET #status = :ready, logs = list_append(logs, :line), updatedAt = :now',
          ConditionExpression: '#status = :pending AND creditCheck = :passed AND stockCheck = :passed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':ready': OrderStatus.ReadyToShip,
            ':pending': OrderStatus.Pending,
            ':passed': 'PASSED',
            ':line': [READY_TO_SHIP_LOG],
            ':now': now(),
          },
        }),
      );
    },

    rejectAtShipping(orderId: string, logLine: string): Promise<boolean> {
      return rejectIfStill(orderId, OrderStatus.ReadyToShip, logLine);
    },

    /** Rejects the order a dead letter held up, if it is still where that message left it; false otherwise. */
    rejectForDeadLetter(subject: DeadLetterSubject, logLine: string): Promise<boolean> {
      return rejectIfStill(subject.orderId, subject.status, logLine, subject.check && checkAttribute(subject.check));
    },

    /** The ids of open orders whose time to be looked at has come (sweepAt <= now), in one shard of the index. */
    async *dueOrders(shard: string, at: string): AsyncIterable<string> {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: SWEEP_INDEX,
            KeyConditionExpression: 'sweepShard = :shard AND sweepAt <= :now',
            ExpressionAttributeValues: { ':shard': shard, ':now': at },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) yield String(item.orderId);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },

    async getForSweep(orderId: string): Promise<SweptOrder | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }));
      if (!isOrder(Item)) return undefined;
      return { order: fromOrderItem(Item), ...(Item.sweepAt ? { sweepAt: String(Item.sweepAt) } : {}), nudges: Item.nudges === undefined ? 0 : readInteger(Item.nudges) };
    },

    /** Sets when the sweeper looks next, if the order is still as it was seen (same status, same sweepAt); false otherwise. */
    postponeSweep(orderId: string, seen: { status: OrderStatus; sweepAt: string }, next: { sweepAt: string; nudges: number }): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId },
          UpdateExpression: 'SET sweepAt = :next, nudges = :nudges',
          ConditionExpression: '#status = :status AND sweepAt = :seen',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':next': next.sweepAt, ':nudges': next.nudges, ':status': seen.status, ':seen': seen.sweepAt },
        }),
      );
    },

    /** Takes a final order out of the sweep index (its final write did not); false if it is not in that status. */
    leaveSweepIndex(orderId: string, status: OrderStatus): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId },
          UpdateExpression: LEAVE_SWEEP_INDEX,
          ConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
        }),
      );
    },
  };
}

export type OrderStore = ReturnType<typeof orderStore>;
