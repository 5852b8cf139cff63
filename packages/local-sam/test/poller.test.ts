import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { FunctionError, InvocationThrottled } from '../src/functions';
import { recordsToDelete, SqsPoller, toSqsRecord, type SqsEventSource } from '../src/poller';

const queueArn = 'arn:aws:sqs:us-east-1:000000000000:work';
const message = (id: string): Message => ({
  MessageId: id,
  ReceiptHandle: `handle-${id}`,
  Body: `{"ticketId":"${id}"}`,
  MD5OfBody: 'md5',
  Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: '000000000000', ApproximateFirstReceiveTimestamp: '1700000000001' },
});
const records = (...ids: string[]): SQSRecord[] => ids.map((id) => toSqsRecord(message(id), queueArn, 'us-east-1'));

describe('toSqsRecord', () => {
  it('presents a received message as Lambda’s SQS event record', () => {
    const record = toSqsRecord(
      { ...message('m1'), MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' }, blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1]) } } },
      queueArn,
      'us-east-1',
    );
    expect(record).toEqual({
      messageId: 'm1',
      receiptHandle: 'handle-m1',
      body: '{"ticketId":"m1"}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: '000000000000', ApproximateFirstReceiveTimestamp: '1700000000001' },
      messageAttributes: {
        kind: { stringValue: 'x', binaryValue: undefined, stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { stringValue: undefined, binaryValue: 'AQ==', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    });
  });
});

describe('recordsToDelete', () => {
  const batch = records('a', 'b', 'c');

  it('deletes nothing when the invocation failed', () => {
    expect(recordsToDelete(batch, { ok: false, error: new Error('boom') }, true)).toEqual([]);
  });

  it('deletes every record when the function succeeded without reporting failures', () => {
    expect(recordsToDelete(batch, { ok: true, result: { batchItemFailures: [] } }, true)).toEqual(batch);
    expect(recordsToDelete(batch, { ok: true, result: null }, true)).toEqual(batch);
  });

  it('keeps the records the function reported as failed', () => {
    const kept = recordsToDelete(batch, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, true);
    expect(kept.map((record) => record.messageId)).toEqual(['a', 'c']);
  });

  it('treats a report naming an unknown or empty id as a failed batch', () => {
    expect(recordsToDelete(batch, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'zzz' }] } }, true)).toEqual([]);
    expect(recordsToDelete(batch, { ok: true, result: { batchItemFailures: [{ itemIdentifier: '' }] } }, true)).toEqual([]);
  });

  it('ignores a failure report when the event source does not use ReportBatchItemFailures', () => {
    expect(recordsToDelete(batch, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, false)).toEqual(batch);
  });
});

describe('SqsPoller', () => {
  const sqs = mockClient(SQSClient);
  const source: SqsEventSource = {
    functionLogicalId: 'Worker',
    eventName: 'Jobs',
    queue: { logicalId: 'Jobs', name: 'jobs', url: 'http://127.0.0.1:1/000000000000/jobs', arn: queueArn, attributes: {} },
    batchSize: 10,
    batchingWindowMs: 0,
    reportBatchItemFailures: true,
    concurrency: 1,
  };

  /** Runs one poller until its function has been invoked `times` times, then stops it. */
  async function pollUntilInvoked(times: number, invoke: (event: SQSEvent) => Promise<unknown>): Promise<SQSEvent[]> {
    const events: SQSEvent[] = [];
    let poller: SqsPoller | undefined;
    const done = new Promise<void>((resolve) => {
      poller = new SqsPoller(source, {
        sqs: new SQSClient({ region: 'us-east-1' }),
        region: 'us-east-1',
        log: () => undefined,
        invoke: async (event) => {
          events.push(event);
          try {
            return await invoke(event);
          } finally {
            if (events.length >= times) setImmediate(resolve);
          }
        },
      });
    });
    poller?.start();
    await done;
    await poller?.stop();
    return events;
  }

  // An empty long poll that takes a moment, as a real one does.
  const emptyLongPoll = () => new Promise((resolve) => setTimeout(() => resolve({ Messages: [] }), 10));

  beforeEach(() => {
    sqs.reset();
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('long-polls with the batch size and hands one batch per invocation', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a'), message('b')] }).callsFake(emptyLongPoll);
    const [event] = await pollUntilInvoked(1, async () => ({ batchItemFailures: [] }));
    expect(event?.Records.map((record) => record.messageId)).toEqual(['a', 'b']);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: source.queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 });
  });

  it('deletes the records that succeeded and leaves the reported failures on the queue', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a'), message('b')] }).callsFake(emptyLongPoll);
    await pollUntilInvoked(1, async () => ({ batchItemFailures: [{ itemIdentifier: 'b' }] }));
    const deletes = sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle));
    expect(deletes).toEqual([['handle-a']]);
  });

  it('deletes nothing when the function throws or times out', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a')] }).callsFake(emptyLongPoll);
    await pollUntilInvoked(1, async () => {
      throw new Error('Task timed out after 3.00 seconds');
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it('keeps polling after the queue could not be reached', async () => {
    sqs.on(ReceiveMessageCommand).rejectsOnce(new Error('connection refused')).resolvesOnce({ Messages: [message('a')] }).callsFake(emptyLongPoll);
    const events = await pollUntilInvoked(1, async () => null);
    expect(events).toHaveLength(1);
  });

  describe('when the function is throttled or fails', () => {
    const visibleFor = (seconds: number, overrides: Partial<SqsEventSource> = {}): SqsEventSource => ({
      ...source,
      queue: { ...source.queue, attributes: { VisibilityTimeout: String(seconds) } },
      ...overrides,
    });

    /** Runs a poller until `done` says so (asked after every invocation and every receive), then stops it. */
    async function pollUntil(eventSource: SqsEventSource, invoke: (event: SQSEvent, poller: SqsPoller) => Promise<unknown>, done: () => boolean): Promise<SqsPoller> {
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const check = () => done() && setImmediate(finish);
      const poller: SqsPoller = new SqsPoller(eventSource, {
        sqs: new SQSClient({ region: 'us-east-1' }),
        region: 'us-east-1',
        log: () => undefined,
        invoke: (event) => invoke(event, poller).finally(check),
      });
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a'), message('b')] }).callsFake(async () => {
        check();
        return emptyLongPoll();
      });
      poller.start();
      await finished;
      await poller.stop();
      return poller;
    }

    it('hands a throttled batch to the function again, the same records, until it runs, and then deletes it', async () => {
      const events: SQSEvent[] = [];
      await pollUntil(
        visibleFor(60),
        async (event) => {
          events.push(event);
          if (events.length <= 2) throw new InvocationThrottled();
          return { batchItemFailures: [] };
        },
        () => sqs.commandCalls(DeleteMessageBatchCommand).length > 0,
      );
      expect(events.map((event) => event.Records.map((record) => record.messageId))).toEqual([
        ['a', 'b'],
        ['a', 'b'],
        ['a', 'b'],
      ]);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries?.map((entry) => entry.ReceiptHandle)).toEqual(['handle-a', 'handle-b']);
    });

    it('leaves a throttled batch on the queue once its visibility timeout has run out', async () => {
      let invocations = 0;
      await pollUntil(
        visibleFor(0),
        async () => {
          invocations += 1;
          throw new InvocationThrottled();
        },
        () => invocations > 0 && sqs.commandCalls(ReceiveMessageCommand).length > 1,
      );
      expect(invocations).toBe(1);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    });

    it('polls with fewer lanes after each throttle and gets them back as invocations succeed', async () => {
      const lanesAtInvocation: number[] = [];
      const poller = await pollUntil(
        visibleFor(60, { concurrency: 3 }),
        async (_event, running) => {
          lanesAtInvocation.push(running.concurrency);
          if (lanesAtInvocation.length <= 2) throw new InvocationThrottled();
          return null;
        },
        () => sqs.commandCalls(DeleteMessageBatchCommand).length > 0,
      );
      expect(lanesAtInvocation).toEqual([3, 2, 1]);
      expect(poller.concurrency).toBe(2);
    });

    it('scales down on a function error only without ReportBatchItemFailures, as Lambda does', async () => {
      const failing = async () => {
        throw new FunctionError({ errorType: 'Error', errorMessage: 'boom' });
      };
      const withReports = await pollUntil(visibleFor(60, { concurrency: 3 }), failing, () => sqs.commandCalls(ReceiveMessageCommand).length > 1);
      expect(withReports.concurrency).toBe(3);
      sqs.reset();
      sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
      const withoutReports = await pollUntil(visibleFor(60, { concurrency: 3, reportBatchItemFailures: false }), failing, () => sqs.commandCalls(ReceiveMessageCommand).length > 1);
      expect(withoutReports.concurrency).toBe(2);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    });
  });
});
