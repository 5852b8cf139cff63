// Reads a dead-letter queue without consuming it (docs/sweeper.md#pass-1-dead-letters).
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter } from '../usecases/sweepOrders';

/** Long enough for one sweep to page through the queue without seeing a message twice. */
const PEEK_VISIBILITY_SECONDS = 30;

export function deadLetterQueue(client: SQSClient, queueUrl: string) {
  async function release(receiptHandles: string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += 10) {
      const entries = receiptHandles.slice(start, start + 10).map((handle, index) => ({ Id: String(index), ReceiptHandle: handle, VisibilityTimeout: 0 }));
      await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
  }

  return {
    /** Up to `limit` of the queue's messages, each once, left in the queue. */
    async peek(limit: number): Promise<DeadLetter[]> {
      const received = new Map<string, { body: string; receiptHandle: string }>();
      try {
        while (received.size < limit) {
          // Long polling (even 1 s) asks every SQS server, so an empty answer means no visible message is left.
          const { Messages = [] } = await client.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, limit - received.size), VisibilityTimeout: PEEK_VISIBILITY_SECONDS, WaitTimeSeconds: 1 }),
          );
          if (Messages.length === 0) break;
          for (const message of Messages) {
            if (message.MessageId && message.ReceiptHandle) received.set(message.MessageId, { body: message.Body ?? '', receiptHandle: message.ReceiptHandle });
          }
        }
      } finally {
        // If this fails the messages come back by themselves when their visibility timeout ends.
        await release([...received.values()].map((message) => message.receiptHandle)).catch(() => undefined);
      }
      return [...received].map(([messageId, { body }]) => ({ messageId, body }));
    },
  };
}
