// Lambda's SQS event source mapping: long-polls a queue, hands batches to the function, deletes the
// records that succeeded and leaves the rest to become visible again (and, after maxReceiveCount,
// to be moved to the dead-letter queue by the queue's own redrive policy).
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import { isThrottled, type FunctionDefinition } from './functions';
import type { ProvisionedQueue, ProvisionedStack } from './provision';

/** How many batches one event source hands to its function at once, unless ScalingConfig caps it lower. */
export const DEFAULT_POLLER_CONCURRENCY = 3;
const LONG_POLL_SECONDS = 20;
/** SQS's default, for a queue whose template sets none. */
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

// Lambda's "Backoff strategy for failed invocations" (developer guide, SQS error handling): a
// throttled invocation is retried with backoff until the batch's visibility timeout runs out (then
// its messages reappear, their receive count one higher), and throttles reduce the concurrency of
// the event source; a function error leaves the batch to reappear and reduces the concurrency too,
// except with ReportBatchItemFailures, where Lambda does not scale polling down when invocations
// fail. AWS publishes neither the intervals nor how fast concurrency falls and recovers: here a
// retry waits 250 ms, doubling up to 4 s; each back-off takes one lane away (one always stays) and
// each successful invocation gives one back.
const THROTTLE_RETRY_FIRST_MS = 250;
const THROTTLE_RETRY_MAX_MS = 4000;
/** How often a lane that a back-off took away looks whether it may poll again. */
const IDLE_LANE_PAUSE_MS = 1000;

export interface SqsEventSource {
  functionLogicalId: string;
  eventName: string;
  queue: ProvisionedQueue;
  batchSize: number;
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
  concurrency: number;
}

/** Every enabled `Type: SQS` event of every function, resolved to the local queue. */
export function sqsEventSources(stack: ProvisionedStack, functions: FunctionDefinition[], defaultConcurrency = DEFAULT_POLLER_CONCURRENCY): SqsEventSource[] {
  const sources: SqsEventSource[] = [];
  for (const fn of functions) {
    for (const [eventName, event] of Object.entries(fn.events)) {
      if (event.Type !== 'SQS') continue;
      const properties = event.Properties;
      if (String(properties.Enabled ?? true) === 'false') continue;
      const queue = stack.queueByArn(String(properties.Queue));
      if (!queue) throw new Error(`${fn.logicalId}.${eventName} polls ${String(properties.Queue)}, which is not a queue of this stack`);
      const maximumConcurrency = Number((properties.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency ?? Infinity);
      sources.push({
        functionLogicalId: fn.logicalId,
        eventName,
        queue,
        batchSize: Number(properties.BatchSize ?? 10),
        batchingWindowMs: Number(properties.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        reportBatchItemFailures: ((properties.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        concurrency: Math.max(1, Math.min(defaultConcurrency, maximumConcurrency)),
      });
    }
  }
  return sources;
}

const base64 = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);

function toRecordAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    stringValue: value.StringValue,
    binaryValue: base64(value.BinaryValue),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((bytes) => base64(bytes) ?? ''),
    dataType: value.DataType ?? 'String',
  } as SQSMessageAttribute;
}

/** A received message as Lambda presents it in an SQS event. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...attributes,
    } as SQSRecord['attributes'],
    messageAttributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toRecordAttribute(value)])),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

/**
 * Which records of a batch to delete after the invocation, as Lambda decides: none if it failed;
 * with ReportBatchItemFailures all but the reported ones, and none if the report names a record
 * that is not in the batch (Lambda then treats the whole batch as failed); otherwise all.
 */
export function recordsToDelete(records: SQSRecord[], outcome: InvocationOutcome, reportBatchItemFailures: boolean): SQSRecord[] {
  if (!outcome.ok) return [];
  if (!reportBatchItemFailures) return records;
  const failures = (outcome.result as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return records;
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return [];
    failed.add(id);
  }
  return records.filter((record) => !failed.has(record.messageId));
}

export interface PollerOptions {
  sqs: SQSClient;
  region: string;
  invoke: (event: SQSEvent) => Promise<unknown>;
  log: (line: string) => void;
}

/** Polls one event source's queue with `concurrency` independent lanes until stopped. */
export class SqsPoller {
  private readonly abort = new AbortController();
  private lanes: Promise<void>[] = [];
  /** Lanes allowed to poll now: fewer after throttles or failures (see the back-off above). */
  private activeLanes: number;

  constructor(
    readonly source: SqsEventSource,
    private readonly options: PollerOptions,
  ) {
    this.activeLanes = source.concurrency;
  }

  start(): void {
    this.lanes = Array.from({ length: this.source.concurrency }, (_, index) => this.lane(index));
  }

  /** How many lanes may poll at the moment. */
  get concurrency(): number {
    return this.activeLanes;
  }

  /** Stops receiving; batches already handed to the function finish (or fail) on their own. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.lanes);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async lane(index: number): Promise<void> {
    while (!this.stopped) {
      if (index >= this.activeLanes) {
        await this.pause(IDLE_LANE_PAUSE_MS);
        continue;
      }
      try {
        const { messages, visibleAgainAt } = await this.collectBatch();
        if (messages.length > 0) await this.handle(messages, visibleAgainAt);
      } catch (error) {
        if (this.stopped) return;
        this.options.log(`polling ${this.source.queue.name} failed: ${(error as Error).message}; retrying in 1 s`);
        await this.pause(1000);
      }
    }
  }

  /** Waits, or less if the poller is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private receive(max: number, waitSeconds: number): Promise<Message[]> {
    return this.options.sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: this.source.queue.url,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      )
      .then((output) => output.Messages ?? []);
  }

  /** One long poll, then more receives while the batch is not full and the batching window is open. */
  private async collectBatch(): Promise<{ messages: Message[]; visibleAgainAt: number }> {
    const batch = await this.receive(this.source.batchSize, LONG_POLL_SECONDS);
    const visibleAgainAt = Date.now() + Number(this.source.queue.attributes.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS) * 1000;
    if (batch.length === 0) return { messages: batch, visibleAgainAt };
    const windowEnd = Date.now() + this.source.batchingWindowMs;
    while (batch.length < this.source.batchSize && !this.stopped) {
      const remaining = windowEnd - Date.now();
      if (remaining <= 0) break;
      const more = await this.receive(this.source.batchSize - batch.length, Math.min(LONG_POLL_SECONDS, Math.floor(remaining / 1000)));
      if (more.length === 0 && remaining < 1000) await new Promise((resolve) => setTimeout(resolve, Math.min(remaining, 50)));
      batch.push(...more);
    }
    return { messages: batch, visibleAgainAt };
  }

  /** Invokes the function with a batch; a throttled invocation is tried again while the batch is still invisible. */
  private async invoke(records: SQSRecord[], visibleAgainAt: number): Promise<InvocationOutcome> {
    for (let delay = THROTTLE_RETRY_FIRST_MS; ; delay = Math.min(2 * delay, THROTTLE_RETRY_MAX_MS)) {
      try {
        const result = await this.options.invoke({ Records: records });
        this.activeLanes = Math.min(this.source.concurrency, this.activeLanes + 1);
        return { ok: true, result };
      } catch (error) {
        const throttled = isThrottled(error);
        if (throttled || !this.source.reportBatchItemFailures) this.activeLanes = Math.max(1, this.activeLanes - 1);
        if (!throttled || this.stopped) return { ok: false, error: error as Error };
        if (Date.now() + delay >= visibleAgainAt) {
          this.options.log(`${records.length} record(s) stayed throttled until their visibility timeout; ${this.source.queue.name} delivers them again`);
          return { ok: false, error: error as Error };
        }
        await this.pause(delay);
      }
    }
  }

  private async handle(messages: Message[], visibleAgainAt: number): Promise<void> {
    const records = messages.map((message) => toSqsRecord(message, this.source.queue.arn, this.options.region));
    const outcome = await this.invoke(records, visibleAgainAt);
    const done = recordsToDelete(records, outcome, this.source.reportBatchItemFailures);
    for (let start = 0; start < done.length; start += 10) {
      const entries = done.slice(start, start + 10).map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle }));
      // Deleting must not be cut short by a stop, or handled records would run again.
      const { Failed } = await this.options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.source.queue.url, Entries: entries }));
      if (Failed && Failed.length > 0) this.options.log(`could not delete ${Failed.length} handled record(s) from ${this.source.queue.name}; they will run again`);
    }
  }
}
