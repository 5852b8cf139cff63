// OrderTable access. Every status change is a conditional update on the current status.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES, OrderStatus, READY_TO_SHIP_LOG, type CheckResult, type Order } from '../domain/order';
import type { OpenOrder } from '../usecases/sweepOverdueOrders';
import { checkAttribute, type OrderProgress } from '../usecases/applyCheckResult';
import { moneyValue, readCents, readInteger } from './numbers';
import { retryingTransactionConflicts, withRetries } from './retry';

type Item = Record<string, unknown>;

export function toOrderItem(order: Order): Item {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    items: order.items.map(({ productId, qty }) => ({ productId, qty })),
    totalAmount: moneyValue(order.totalCents),
    status: order.status,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    logs: order.logs,
    // Only open orders carry these, so the OpenOrders index holds just what may still need a push.
    ...(FINAL_STATUSES.includes(order.status) ? {} : { openStatus: order.status, openSince: order.updatedAt }),
  };
}

export function fromOrderItem(item: Item): Order {
  const items = item.items as Item[];
  return {
    orderId: String(item.orderId),
    customerId: String(item.customerId),
    items: items.map((line) => ({ productId: String(line.productId), qty: readInteger(line.qty) })),
    totalCents: readCents(item.totalAmount),
    status: item.status as OrderStatus,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    logs: (item.logs as unknown[]).map(String),
  };
}

function toProgress(item: Item): OrderProgress {
  return {
    status: item.status as OrderStatus,
    ...(item.creditCheck ? { creditCheck: item.creditCheck as 'PASSED' | 'FAILED' } : {}),
    ...(item.stockCheck ? { stockCheck: item.stockCheck as 'PASSED' | 'FAILED' } : {}),
  };
}

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException => error instanceof ConditionalCheckFailedException;

export const OPEN_ORDERS_INDEX = 'OpenOrders';

export function orderStore(db: DynamoDBDocumentClient, tableName: string, now: () => string = () => new Date().toISOString()) {
  /** Runs a conditional update; false when the condition did not hold. */
  async function updateIf(command: UpdateCommand): Promise<boolean> {
    try {
      await retryingTransactionConflicts(() => db.send(command));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Moves an order still in `status` to REJECTED with the reason; false if it had moved on. */
  function rejectIfStill(status: OrderStatus, orderId: string, logLine: string): Promise<boolean> {
    return updateIf(
      new UpdateCommand({
        TableName: tableName,
        Key: { orderId },
        UpdateExpression: 'SET #status = :rejected, logs = list_append(logs, :line), updatedAt = :now REMOVE openStatus, openSince',
        ConditionExpression: '#status = :expected',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':rejected': OrderStatus.Rejected, ':expected': status, ':line': [logLine], ':now': now() },
      }),
    );
  }

  return {
    async getOrder(orderId: string): Promise<Order | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }));
      return Item ? fromOrderItem(Item) : undefined;
    },

    /** Writes up to 25 orders per request, resending what DynamoDB leaves unprocessed. */
    async saveOrders(orders: Order[]): Promise<void> {
      for (let start = 0; start < orders.length; start += 25) {
        let pending = orders.slice(start, start + 25).map((order) => ({ PutRequest: { Item: toOrderItem(order) } }));
        await withRetries(async () => {
          const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
          pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
          if (pending.length > 0) throw new Error(`${pending.length} orders were left unprocessed`);
        });
      }
    },

    async discardOrders(orders: Order[]): Promise<void> {
      await Promise.all(
        orders.map(async ({ orderId }) => {
          try {
            await db.send(
              new DeleteCommand({
                TableName: tableName,
                Key: { orderId },
                ConditionExpression: '#status = :pending AND attribute_not_exists(creditCheck) AND attribute_not_exists(stockCheck)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':pending': OrderStatus.Pending },
              }),
            );
          } catch (error) {
            // A check already reached it: the order is on its way and is kept.
            if (!isConditionFailure(error)) throw error;
          }
        }),
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
        return Attributes ? toProgress(Attributes) : undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Already recorded, or the order has moved on (or does not exist): report where it stands.
        return error.Item ? toProgress(unmarshall(error.Item)) : undefined;
      }
    },

    rejectForFailedCheck(result: CheckResult): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId: result.orderId },
          UpdateExpression: 'SET #status = :rejected, #check = :failed, logs = list_append(logs, :line), updatedAt = :now REMOVE openStatus, openSince',
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

    markReadyToShip(orderId: string): Promise<boolean> {
      return updateIf(
        new UpdateCommand({
          TableName: tableName,
          Key: { orderId },
          UpdateExpression: 'SET #status = :ready, openStatus = :ready, openSince = :now, logs = list_append(logs, :line), updatedAt = :now',
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
      return rejectIfStill(OrderStatus.ReadyToShip, orderId, logLine);
    },

    rejectOverdue: (orderId: string, status: OrderStatus, logLine: string) => rejectIfStill(status, orderId, logLine),

    /** Open orders that entered `status` before `before`, oldest first, page by page. */
    async *openOrders(status: OrderStatus, before: string): AsyncIterable<OpenOrder> {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: OPEN_ORDERS_INDEX,
            KeyConditionExpression: 'openStatus = :status AND openSince < :before',
            ExpressionAttributeValues: { ':status': status, ':before': before },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          yield { orderId: String(item.orderId), status: item.openStatus as OrderStatus, openSince: String(item.openSince) };
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },
  };
}

export type OrderStore = ReturnType<typeof orderStore>;
