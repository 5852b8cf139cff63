// The shipping transaction: credit, every product's stock and the order's status change together
// or not at all. DynamoDB does the arithmetic under conditions; nothing is read and written back.
// It ships the order a shipment request describes, and only if that is the stored order: the
// order's own condition holds it to be READY_TO_SHIP with that customer, those items, that total,
// so a stale or wrong request can neither charge what the order does not say nor ship it twice.
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OrderToShip } from '../domain/messages';
import { OrderStatus, shippedLog } from '../domain/order';
import type { ShipmentOutcome } from '../domain/shipping';
import { moneyValue } from './numbers';
import { fromOrderItem, itemsValue, LEAVE_SWEEP_INDEX, returnedItem } from './orderStore';
import { isTransientCancellation, withRetries } from './retry';

export interface ShippingTables {
  orderTable: string;
  accountTable: string;
  stockTable: string;
}

/** A cancellation for a passing reason (another transaction, throttling): try again, never reject. */
export class ShipmentContendedError extends Error {}

export function shippingLedger(db: DynamoDBDocumentClient, tables: ShippingTables, now: () => string = () => new Date().toISOString()) {
  function transaction(order: OrderToShip): TransactWriteCommand {
    const at = now();
    return new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: tables.accountTable,
            Key: { customerId: order.customerId },
            UpdateExpression: 'SET balance = balance - :amount, updatedAt = :now ADD version :one',
            ConditionExpression: 'attribute_exists(customerId) AND balance >= :amount',
            ExpressionAttributeValues: { ':amount': moneyValue(order.totalCents), ':now': at, ':one': 1 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...order.items.map(({ productId, qty }) => ({
          Update: {
            TableName: tables.stockTable,
            Key: { productId },
            UpdateExpression: 'SET balance = balance - :qty, updatedAt = :now ADD version :one',
            ConditionExpression: 'attribute_exists(productId) AND balance >= :qty',
            ExpressionAttributeValues: { ':qty': qty, ':now': at, ':one': 1 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        })),
        {
          Update: {
            TableName: tables.orderTable,
            Key: { orderId: order.orderId },
            UpdateExpression: `SET #status = :shipped, logs = list_append(logs, :line), updatedAt = :now ${LEAVE_SWEEP_INDEX}`,
            ConditionExpression: '#status = :ready AND customerId = :customer AND totalAmount = :amount AND #items = :items AND createdAt = :createdAt',
            ExpressionAttributeNames: { '#status': 'status', '#items': 'items' },
            ExpressionAttributeValues: {
              ':shipped': OrderStatus.Shipped,
              ':ready': OrderStatus.ReadyToShip,
              ':customer': order.customerId,
              ':amount': moneyValue(order.totalCents),
              ':items': itemsValue(order.items),
              ':createdAt': order.createdAt,
              ':line': [shippedLog(order.totalCents)],
              ':now': at,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
    });
  }

  function outcomeOf(order: OrderToShip, reasons: CancellationReason[]): ShipmentOutcome {
    const [account, ...rest] = reasons;
    const orderReason = rest[order.items.length];
    const stock = rest.slice(0, order.items.length);
    if (orderReason?.Code === 'ConditionalCheckFailed') {
      const stored = returnedItem(orderReason.Item);
      return stored?.status === OrderStatus.ReadyToShip ? { shipped: false, differs: fromOrderItem(stored) } : { shipped: false, notReadyToShip: true };
    }
    if ([account, ...stock, orderReason].some(isTransientCancellation)) throw new ShipmentContendedError('shipping transaction lost a race; retrying');
    if (account?.Code === 'ConditionalCheckFailed') {
      return { shipped: false, refusal: account.Item ? { reason: 'insufficient-credit', totalCents: order.totalCents } : { reason: 'no-account' } };
    }
    const failed = order.items.filter((_, index) => stock[index]?.Code === 'ConditionalCheckFailed');
    if (failed.length > 0) {
      const missing = failed.filter((item) => !stock[order.items.indexOf(item)]?.Item).map((item) => item.productId);
      return missing.length > 0
        ? { shipped: false, refusal: { reason: 'no-product', productIds: missing } }
        : { shipped: false, refusal: { reason: 'insufficient-stock', productIds: failed.map((item) => item.productId) } };
    }
    throw new Error(`shipping transaction cancelled for an unexpected reason: ${reasons.map((r) => r.Code ?? 'None').join(',')}`);
  }

  return {
    /**
     * Ships the order, or says why it cannot; throws when it should simply be tried again. A
     * transaction that collides with another on the same item (a popular product, a customer's
     * other orders) is retried with jittered backoff: 8 attempts, or until `deadline` when given;
     * `onRetry` hears of each retry.
     */
    ship(order: OrderToShip, { deadline, onRetry }: { deadline?: number; onRetry?: () => void } = {}): Promise<ShipmentOutcome> {
      return withRetries(
        async () => {
          try {
            await db.send(transaction(order));
            return { shipped: true } as const;
          } catch (error) {
            if (error instanceof TransactionCanceledException) return outcomeOf(order, error.CancellationReasons ?? []);
            throw error;
          }
        },
        {
          attempts: deadline === undefined ? 8 : Number.POSITIVE_INFINITY,
          baseDelayMs: 25,
          maxDelayMs: 1000,
          deadline,
          isRetryable: (error) => error instanceof ShipmentContendedError,
          onRetry,
        },
      );
    },
  };
}

export type ShippingLedger = ReturnType<typeof shippingLedger>;
