// OrderTable access. A request's orders are stored by one conditional write (the commit point of
// an order request); every status change after that is a conditional update on the current status.
// Open orders carry the sweep index's keys (sweepShard, sweepAt); a final state removes them.
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { nextCheckStep, type CheckUpdate } from '../domain/checkResults';
import { checkAttribute, FINAL_STATUSES, OrderStatus, type Order, type OrderItem, type OrderProgress } from '../domain/order';
import { sweepShardOf, type DeadLetterSubject } from '../domain/sweep';
import type { StoreOutcome, WithdrawOutcome } from '../usecases/placeOrders';
import type { SweptOrder } from '../usecases/sweepOrders';
import { moneyValue, readCents, readInteger } from './numbers';
import { itemsByKey, type ItemsByKey } from './itemsByKey';
import { isTransientCancellation, retryingTransactionConflicts, until, withRetries } from './retry';
import { KEEP_WRITE_TOKEN, newWriteToken, writtenBy } from './writeTokens';

type Item = Record<string, unknown>;

/** The sparse index of open orders: partition sweepShard, sort sweepAt (when the sweeper should look). */
export const SWEEP_INDEX = 'OrdersToSweep';

/** What every write that makes an order final adds to its update expression. */
export const LEAVE_SWEEP_INDEX = 'REMOVE sweepShard, sweepAt';

/** An order's items as stored, which is also how the shipping transaction's condition names them. */
export const itemsValue = (items: readonly OrderItem[]): Item[] => items.map(({ productId, qty }) => ({ productId, qty }));

/** The order as an item; with `sweepAt`, an open order also enters the sweep index. */
export function toOrderItem(order: Order, sweepAt?: string): Item {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    items: itemsValue(order.items),
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
export const returnedItem = (item: Record<string, unknown> | undefined): Item | undefined =>
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

/** The order that made a transaction's write to one item fail its condition; none where the item is no order or the condition held. */
const heldBy = (reason: CancellationReason | undefined): Order | undefined => (reason?.Code === 'ConditionalCheckFailed' ? returnedOrder(reason.Item) : undefined);

/**
 * Set on orders that an attempt other than their own answered 202 for (a retry that found them):
 * their own attempt, whose write's outcome it does not know, must not withdraw them any more.
 */
const ANSWERED = 'answeredByReplay';

export interface Deadline {
  /** Epoch milliseconds by which the call gives up (the caller must answer by then). */
  deadline?: number;
}

class TransactionContendedError extends Error {}

export function orderStore(db: DynamoDBDocumentClient, tableName: string, now: () => string = () => new Date().toISOString()) {
  /**
   * Runs a conditional update; when its condition did not hold, hands back the item as it found it.
   * A write that leaves its token (KEEP_WRITE_TOKEN) and finds it there is its own earlier try,
   * resent by the SDK after the answer was lost: it took effect.
   */
  async function tryUpdate(command: UpdateCommand, deadline?: number): Promise<{ applied: true } | { applied: false; found?: Item }> {
    try {
      await retryingTransactionConflicts(() => db.send(command, until(deadline)), deadline);
      return { applied: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const found = returnedItem(error.Item);
      const token = command.input.ExpressionAttributeValues?.[':token'];
      if (typeof token === 'string' && writtenBy(found, token)) return { applied: true };
      return found ? { applied: false, found } : { applied: false };
    }
  }

  /** Runs a conditional update; false when the condition did not hold. */
  const updateIf = async (command: UpdateCommand, deadline?: number): Promise<boolean> => (await tryUpdate(command, deadline)).applied;

  /** Moves an order still in `status` (and, with `check`, still without that check's result) to REJECTED with the reason; false if it had moved on. */
  function rejectIfStill(orderId: string, status: OrderStatus, logLine: string, check?: 'creditCheck' | 'stockCheck'): Promise<boolean> {
    return updateIf(
      new UpdateCommand({
        TableName: tableName,
        Key: { orderId },
        UpdateExpression: `SET #status = :rejected, logs = list_append(logs, :line), updatedAt = :now, ${KEEP_WRITE_TOKEN} ${LEAVE_SWEEP_INDEX}`,
        ConditionExpression: check ? '#status = :expected AND attribute_not_exists(#check)' : '#status = :expected',
        ExpressionAttributeNames: { '#status': 'status', ...(check ? { '#check': check } : {}) },
        ExpressionAttributeValues: { ':rejected': OrderStatus.Rejected, ':expected': status, ':line': [logLine], ':now': now(), ...newWriteToken().values },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /** The write of a check update, conditional on the order being exactly as the update was decided from. */
  function checkUpdateCommand(orderId: string, { from, to, logLines }: CheckUpdate): UpdateCommand {
    const values: Record<string, unknown> = { ':from': from.status, ':to': to.status, ':lines': logLines, ':now': now(), ...newWriteToken().values };
    const condition = ['#status = :from'];
    const changes = ['#status = :to', 'logs = list_append(logs, :lines)', 'updatedAt = :now'];
    for (const check of ['creditCheck', 'stockCheck'] as const) {
      if (from[check] === undefined) condition.push(`attribute_not_exists(${check})`);
      else {
        condition.push(`${check} = :${check}Was`);
        values[`:${check}Was`] = from[check];
      }
      if (to[check] !== from[check]) {
        changes.push(`${check} = :${check}`);
        values[`:${check}`] = to[check];
      }
    }
    changes.push(KEEP_WRITE_TOKEN);
    return new UpdateCommand({
      TableName: tableName,
      Key: { orderId },
      UpdateExpression: `SET ${changes.join(', ')}${FINAL_STATUSES.includes(to.status) ? ` ${LEAVE_SWEEP_INDEX}` : ''}`,
      ConditionExpression: condition.join(' AND '),
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
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

    /** Orders by id, in as few reads as DynamoDB allows; each id read, or failed, on its own. A withdrawal's fence reads as no order. */
    getOrders(orderIds: readonly string[]): Promise<ItemsByKey<Order | undefined>> {
      return itemsByKey(db, tableName, 'orderId', orderIds, (item) => (isOrder(item) ? fromOrderItem(item) : undefined));
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
            return { stored: false, found: orders.map((_, index) => heldBy(reasons[index])) };
          }
        },
        { isRetryable: (error) => error instanceof TransactionContendedError, ...(deadline === undefined ? {} : { deadline }) },
      );
    },

    /**
     * Takes back orders that this attempt may or may not have stored (its write's outcome is
     * unknown), as long as nothing has happened to them: still PENDING with no check result, not
     * answered by another attempt, and written by this attempt (same createdAt), so an order that
     * an earlier attempt stored and announced is never touched. Nobody was told of them, so nothing
     * can be in flight for them. Where the ids are held otherwise, nothing is withdrawn and the
     * orders holding them are handed back.
     * Each id is left fenced (WITHDRAWN) rather than free, whether the write had landed or not, so
     * that the write cannot land later. All or none, as they were stored: one transaction for
     * several orders, so that a withdrawal cut short never leaves part of a request behind (a retry
     * with its Idempotency-Key recognises its request only by finding all of its orders).
     */
    async withdrawOrders(orders: Order[], { deadline }: Deadline = {}): Promise<WithdrawOutcome> {
      const fence = (order: Order) => ({
        TableName: tableName,
        Item: { orderId: order.orderId, status: WITHDRAWN, createdAt: order.createdAt },
        ConditionExpression: `attribute_not_exists(orderId) OR #status = :withdrawn OR (#status = :pending AND createdAt = :createdAt AND attribute_not_exists(creditCheck) AND attribute_not_exists(stockCheck) AND attribute_not_exists(${ANSWERED}))`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':withdrawn': WITHDRAWN, ':pending': OrderStatus.Pending, ':createdAt': order.createdAt },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
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
        return { withdrawn: true };
      } catch (error) {
        if (isConditionFailure(error)) return { withdrawn: false, found: [returnedOrder(error.Item)] };
        if (error instanceof TransactionCanceledException && notOurs(error)) return { withdrawn: false, found: orders.map((_, index) => heldBy(error.CancellationReasons?.[index])) };
        throw error;
      }
    },

    /**
     * Marks orders an attempt other than their own answers 202 for (a replay), so that their own
     * attempt can no longer withdraw them; false when a withdrawal got there first (some are gone).
     * Setting the mark again is harmless, so a retried mark needs no recognising.
     */
    async markAnswered(orders: Order[], { deadline }: Deadline = {}): Promise<boolean> {
      const marked = await Promise.all(
        orders.map((order) =>
          updateIf(
            new UpdateCommand({
              TableName: tableName,
              Key: { orderId: order.orderId },
              UpdateExpression: `SET ${ANSWERED} = :yes`,
              ConditionExpression: 'attribute_exists(orderId) AND #status <> :withdrawn',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':yes': true, ':withdrawn': WITHDRAWN },
            }),
            deadline,
          ),
        ),
      );
      return marked.every(Boolean);
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

    /**
     * Makes one check update (records results, moves the order on) if the order is still exactly as
     * the update was decided from; otherwise hands back the order as it now is (none: no such order).
     */
    async applyCheckUpdate(orderId: string, update: CheckUpdate): Promise<{ applied: true } | { applied: false; current?: Order }> {
      const written = await tryUpdate(checkUpdateCommand(orderId, update));
      if (written.applied) return written;
      const current = isOrder(written.found) ? fromOrderItem(written.found) : undefined;
      return current ? { applied: false, current } : { applied: false };
    },

    /** PENDING with both checks passed -> READY_TO_SHIP: where an order stays if the step after its checks was lost. */
    markReadyToShip(orderId: string): Promise<boolean> {
      const step = nextCheckStep({ status: OrderStatus.Pending, creditCheck: 'PASSED', stockCheck: 'PASSED' }, []);
      if (step.kind !== 'update') throw new Error('an order with both checks passed has nowhere to go');
      return updateIf(checkUpdateCommand(orderId, step.update));
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
