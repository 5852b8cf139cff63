// Every queue consumer: records are handled one by one (in parallel), a record that throws is
// reported as a batch item failure and retried alone, and each log line carries the orderId.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MalformedMessageError } from '../domain/messages';
import { logger } from '../observability';

export function sqsConsumer<Message extends { orderId: string }>(
  parse: (body: unknown) => Message,
  handle: (message: Message, log: Logger) => Promise<unknown>,
) {
  const processor = new BatchProcessor(EventType.SQS);

  async function handleRecord(record: SQSRecord): Promise<void> {
    let message: Message;
    try {
      message = parse(JSON.parse(record.body));
    } catch (error) {
      logger.error('malformed message', { messageId: record.messageId, error: error as Error });
      throw error instanceof MalformedMessageError ? error : new MalformedMessageError('message body is not valid JSON', { cause: error });
    }
    const log = logger.createChild({ persistentKeys: { orderId: message.orderId, messageId: record.messageId } });
    try {
      const effect = await handle(message, log);
      log.info('message handled', { effect: typeof effect === 'string' ? effect : 'done', receiveCount: record.attributes.ApproximateReceiveCount });
    } catch (error) {
      log.error('message failed; it will be retried', { error: error as Error, receiveCount: record.attributes.ApproximateReceiveCount });
      throw error;
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    return processPartialResponse(event, handleRecord, processor, { context });
  };
}
