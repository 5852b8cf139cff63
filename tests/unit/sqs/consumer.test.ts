import { MalformedMessageError } from '../../../src/domain/messages';
import { sqsConsumer } from '../../../src/sqs/consumer';
import { BatchOutcomes } from '../../../src/usecases/batchOutcomes';
import { lambdaContext, sqsEvent } from '../../support/factories';

const parse = (body: unknown) => {
  const { orderId } = body as { orderId?: unknown };
  if (typeof orderId !== 'string') throw new MalformedMessageError('message has no orderId');
  return { orderId };
};
/** Each message's outcome: an Error fails it. */
function settled<Message>(messages: Message[], outcome: (message: Message) => unknown) {
  const outcomes = new BatchOutcomes<Message, unknown>(messages);
  for (const message of messages) {
    const value = outcome(message);
    if (value instanceof Error) outcomes.fail(message, value);
    else outcomes.succeed(message, value);
  }
  return outcomes;
}
const failed = (response: { batchItemFailures: { itemIdentifier: string }[] }) => response.batchItemFailures.map((failure) => failure.itemIdentifier);

describe('a queue consumer', () => {
  it('hands the batch’s well-formed messages to its handler at once, in batch order, and fails only the records whose outcome failed', async () => {
    const seen: string[][] = [];
    const consumer = sqsConsumer(parse, async (messages) => {
      seen.push(messages.map((message) => message.orderId));
      return settled(messages, (message) => (message.orderId === 'o-2' ? new Error('DynamoDB unavailable') : 'done'));
    });
    const event = sqsEvent({ orderId: 'o-1' }, 'not json', { orderId: 'o-2' }, { order: 'o-3' }, { orderId: 'o-4' });
    const response = await consumer(event, lambdaContext());
    expect(seen).toEqual([['o-1', 'o-2', 'o-4']]);
    expect(failed(response)).toEqual([1, 2, 3].map((index) => event.Records[index]?.messageId));
  });

  it('fails every well-formed record when its handler throws, so the batch is retried', async () => {
    const consumer = sqsConsumer(parse, async () => {
      throw new Error('a defect');
    });
    const event = sqsEvent({ orderId: 'o-1' }, { orderId: 'o-2' }, 'not json');
    await expect(consumer(event, lambdaContext())).rejects.toThrow(/All records failed/);
  });

  it('fails a record its handler reported no outcome for, rather than deleting it unhandled', async () => {
    const consumer = sqsConsumer(parse, async (messages) => settled(messages.slice(0, 1), () => 'done'));
    const event = sqsEvent({ orderId: 'o-1' }, { orderId: 'o-2' });
    expect(failed(await consumer(event, lambdaContext()))).toEqual([event.Records[1]?.messageId]);
  });

  it('gives its handler the time by which the batch must be settled, a second before the invocation’s end', async () => {
    let deadline = 0;
    const consumer = sqsConsumer(parse, async (messages, invocation) => {
      deadline = invocation.deadline;
      return settled(messages, () => 'done');
    });
    // The clock stands still (only Date is faked): the deadline is exact.
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00.000Z'), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'performance', 'hrtime'] });
    try {
      await consumer(sqsEvent({ orderId: 'o-1' }), { ...lambdaContext(), getRemainingTimeInMillis: () => 5000 });
    } finally {
      jest.useRealTimers();
    }
    expect(deadline).toBe(Date.parse('2026-01-01T00:00:04.000Z'));
  });
});
