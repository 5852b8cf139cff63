// Every queue consumer: a batch's messages are parsed one by one, handled together (one read and
// one send for the whole batch where the use case can), and each record then succeeds or fails on
// its own: Powertools' partial batch response retries only the records that failed. The batch's
// metrics are written once, when it is done.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MalformedMessageError } from '../domain/messages';
import { orderMetrics, publishingMetrics } from '../metrics';
import { logger } from '../observability';
import type { BatchOutcomes } from '../usecases/batchOutcomes';

/** Time kept back from the invocation's timeout for reporting the batch's outcome. */
const REPORT_MARGIN_MS = 1000;

/** What a batch's handler may know of its invocation. */
export interface BatchContext {
  /** Epoch milliseconds by which every record must be settled, so that the batch can still report in time. */
  deadline: number;
}

/** Handles a batch's well-formed messages; for each message, what it did (a short name, logged) or why it failed. */
export type BatchHandler<Message> = (messages: Message[], invocation: BatchContext) => Promise<Pick<BatchOutcomes<Message, unknown>, 'get'>>;

function parsed<Message>(parse: (body: unknown) => Message, record: SQSRecord): Message | MalformedMessageError {
  try {
    return parse(JSON.parse(record.body));
  } catch (error) {
    return error instanceof MalformedMessageError ? error : new MalformedMessageError('message body is not valid JSON', { cause: error });
  }
}

export function sqsConsumer<Message extends { orderId: string }>(parse: (body: unknown) => Message, handle: BatchHandler<Message>) {
  const processor = new BatchProcessor(EventType.SQS);

  return publishingMetrics(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    const messages = new Map(event.Records.map((record) => [record, parsed(parse, record)] as const));
    const wellFormed = [...messages].flatMap(([record, message]) => (message instanceof MalformedMessageError ? [] : [{ record, message }]));
    let outcomes: Pick<BatchOutcomes<Message, unknown>, 'get'>;
    try {
      outcomes = await handle(
        wellFormed.map(({ message }) => message),
        { deadline: Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS },
      );
    } catch (error) {
      outcomes = { get: () => ({ status: 'rejected', reason: error }) };
    }

    // Every record's outcome is known by now: this only reports it, record by record.
    const report = async (record: SQSRecord): Promise<void> => {
      const message = messages.get(record);
      const receiveCount = record.attributes.ApproximateReceiveCount;
      if (message instanceof MalformedMessageError || message === undefined) {
        logger.error('malformed message', { messageId: record.messageId, receiveCount, error: message });
        orderMetrics.messageFailed();
        throw message ?? new MalformedMessageError('record was not in the batch');
      }
      const outcome = outcomes.get(message) ?? { status: 'rejected', reason: new Error('the batch handler reported nothing for this message') };
      if (outcome.status === 'rejected') {
        logger.error('message failed; it will be retried', { orderId: message.orderId, messageId: record.messageId, receiveCount, error: outcome.reason as Error });
        orderMetrics.messageFailed();
        throw outcome.reason;
      }
      logger.debug('message handled', { orderId: message.orderId, messageId: record.messageId, receiveCount, effect: outcome.value });
    };
    return processPartialResponse(event, report, processor, { context });
  });
}
