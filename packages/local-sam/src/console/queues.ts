// The queues as the console shows them (each one's depth, in flight, delayed) and the redrive of a
// dead-letter queue back to the queue that dead-lettered into it.
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProvisionedQueue } from '../provision';

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueDepths(sqs: SQSClient, queues: ProvisionedQueue[]): Promise<Record<string, QueueDepth>> {
  const depths = await Promise.all(
    queues.map(async (queue) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const count = (name: string) => Number(Attributes[name as keyof typeof Attributes] ?? 0);
      return [queue.logicalId, { visible: count('ApproximateNumberOfMessages'), inFlight: count('ApproximateNumberOfMessagesNotVisible'), delayed: count('ApproximateNumberOfMessagesDelayed') }] as const;
    }),
  );
  return Object.fromEntries(depths);
}

/** How long a message being moved stays invisible in the dead-letter queue; one not sent by then is moved on a later redrive. */
const MOVE_VISIBILITY_SECONDS = 30;

/**
 * Moves a dead-letter queue's messages back to their source queue, as StartMessageMoveTask without
 * a DestinationArn does on AWS: each one is sent to the source with its body and attributes (a new
 * message there, received afresh) and then deleted from the dead-letter queue. fauxqs 2.4.1 has no
 * StartMessageMoveTask (2.6 added it), hence receive, send and delete here. Only the messages there
 * when it starts are moved, so one that fails again meanwhile is not moved in circles. Returns how
 * many were moved.
 */
export async function redrive(sqs: SQSClient, deadLetterQueue: ProvisionedQueue, source: ProvisionedQueue): Promise<number> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueue.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const waiting = Number(Attributes.ApproximateNumberOfMessages ?? 0);
  let moved = 0;
  while (moved < waiting) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueue.url, MaxNumberOfMessages: Math.min(10, waiting - moved), VisibilityTimeout: MOVE_VISIBILITY_SECONDS, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) break;
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: source.url,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0 ? { MessageAttributes: message.MessageAttributes } : {}),
        })),
      }),
    );
    const sent = Successful.map((entry) => Messages[Number(entry.Id)]?.ReceiptHandle ?? '');
    if (sent.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: deadLetterQueue.url, Entries: sent.map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle })) }));
    }
    moved += sent.length;
    if (Failed.length > 0) throw new Error(`${source.logicalId} refused ${Failed.length} of the messages (${Failed[0]?.Message ?? Failed[0]?.Code}); ${moved} were moved, the rest stay in ${deadLetterQueue.logicalId}`);
  }
  return moved;
}
