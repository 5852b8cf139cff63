// Announces orders on the order topic, which fans out to the two checker queues.
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { toOrderPlacedMessage } from '../domain/messages';
import type { Order } from '../domain/order';
import type { Announcement } from '../usecases/placeOrders';
import { until, withRetries } from './retry';

export function orderEvents(client: SNSClient, topicArn: string) {
  return {
    /**
     * Publishes in batches of 10 (SNS's limit), resending entries that failed, until `deadline`
     * when one is given (a slow call is abandoned then). Never throws: what did not go out is
     * reported, for the caller to leave to the sweeper.
     */
    async announceOrders(orders: Order[], { deadline }: { deadline?: number } = {}): Promise<Announcement> {
      const result: Announcement = { unannounced: [] };
      for (let start = 0; start < orders.length; start += 10) {
        const batch = orders.slice(start, start + 10);
        let pending = batch.map((order, index) => ({ Id: String(index), Message: JSON.stringify(toOrderPlacedMessage(order)) }));
        try {
          await withRetries(
            async () => {
              const { Failed } = await client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: pending }), until(deadline));
              const failedIds = new Set((Failed ?? []).map((entry) => entry.Id));
              pending = pending.filter((entry) => failedIds.has(entry.Id));
              if (pending.length > 0) throw new Error(`${pending.length} orders could not be published`);
            },
            { attempts: 3, ...(deadline === undefined ? {} : { deadline }) },
          );
        } catch (error) {
          // An entry whose call failed or timed out may have gone out all the same: announcing it again is harmless.
          result.unannounced.push(...pending.map((entry) => batch[Number(entry.Id)] as Order));
          result.failure = error;
        }
      }
      return result;
    },
  };
}
