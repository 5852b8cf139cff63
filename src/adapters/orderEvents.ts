// Announces new orders on the order topic, which fans out to the two checker queues.
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { formatCents } from '../domain/money';
import type { OrderPlacedMessage } from '../domain/messages';
import type { Order } from '../domain/order';
import { withRetries } from './retry';

export function toOrderPlacedMessage(order: Order): OrderPlacedMessage {
  return { orderId: order.orderId, customerId: order.customerId, items: order.items, totalAmount: formatCents(order.totalCents) };
}

export function orderEvents(client: SNSClient, topicArn: string) {
  return {
    /** Publishes in batches of 10 (SNS's limit), resending entries that failed. */
    async announceOrders(orders: Order[]): Promise<void> {
      for (let start = 0; start < orders.length; start += 10) {
        let pending = orders.slice(start, start + 10).map((order, index) => ({
          Id: String(start + index),
          Message: JSON.stringify(toOrderPlacedMessage(order)),
        }));
        await withRetries(async () => {
          const { Failed } = await client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: pending }));
          const failedIds = new Set((Failed ?? []).map((entry) => entry.Id));
          pending = pending.filter((entry) => failedIds.has(entry.Id));
          if (pending.length > 0) throw new Error(`${pending.length} orders could not be published`);
        }, { attempts: 3 });
      }
    },
  };
}
