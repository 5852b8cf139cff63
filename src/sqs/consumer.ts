// Every queue consumer: records are handled one by one (in parallel unless the consumer asks for
// one at a time), a record that throws is reported as a batch item failure and retried alone, each
// log line carries the orderId, and the batch's metrics are written once, when it is done.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MalformedMessageError } from '../domain/messages';
import { orderMetrics, publishingMetrics } from '../metrics';
import { logger } from '../observability';

/** Time kept back from the invocation's timeout for reporting the batch's outcome. */
const REPORT_MARGIN_MS = 1000;

/** What a record's handler may know of its invocation. */
export interface RecordContext {
  /** Epoch milliseconds by which the record must be settled, so that the batch can still report in time. */
  deadline: number;
}

export interface ConsumerOptions {
  /** Handle the records of a batch one after another rather than all at once. */
  oneAtATime?: boolean;
}

export function sqsConsumer<Message extends { orderId: string }>(
  parse: (body: unknown) => Message,
  handle: (message: Message, log: Logger, invocation: RecordContext) => Promise<unknown>,
  { oneAtATime = false }: ConsumerOptions = {},
) {
  const processor = new BatchProcessor(EventType.SQS);

  async function handleRecord(record: SQSRecord, context: Context): Promise<void> {
    let message: Message;
    try {
      message = parse(JSON.parse(record.body));
    } catch (error) {
      logger.error('malformed message', { messageId: record.messageId, error: error as Error });
      throw error instanceof MalformedMessageError ? error : new MalformedMessageError('message body is not valid JSON', { cause: error });
    }
    const log = logger.createChild({ persistentKeys: { orderId: message.orderId, messageId: record.messageId } });
    try {
      const effect = await handle(message, log, { deadline: Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS });
      log.info('message handled', { effect: typeof effect === 'string' ? effect : 'done', receiveCount: record.attributes.ApproximateReceiveCount });
    } catch (error) {
      log.error('message failed; it will be retried', { error: error as Error, receiveCount: record.attributes.ApproximateReceiveCount });
      throw error;
    }
  }

  return publishingMetrics(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    const handleCounted = (record: SQSRecord) =>
      handleRecord(record, context).catch((error: unknown) => {
        orderMetrics.messageFailed();
        throw error;
      });
    return processPartialResponse(event, handleCounted, processor, { context, processInParallel: !oneAtATime });
  });
}
