// An SQS logger as `sam init`'s SQS template writes one: plain CommonJS, a CodeUri with its own
// node_modules, a queue with a RedrivePolicy, an SQS event with BatchSize and a batching window.
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  // The function's own dependency, installed into its CodeUri's node_modules as `npm install` would.
  const fixture = join(__dirname, '..', 'fixtures', 'sqs-logger');
  cpSync(join(fixture, 'tiny-label'), join(fixture, 'src', 'node_modules', 'tiny-label'), { recursive: true });
  app = await startFixture('sqs-logger');
}, 120_000);
afterAll(() => app?.stop());

describe('an SQS logger', () => {
  it('polls the queue with the event’s BatchSize and batching window', () => {
    expect(app.stack.eventSources).toEqual([expect.objectContaining({ functionLogicalId: 'LoggerFunction', queue: 'MessagesQueue', batchSize: 5, batchingWindowMs: 1000, reportBatchItemFailures: false })]);
    expect(app.stack.queues.find((queue) => queue.logicalId === 'MessagesQueue')?.attributes.RedrivePolicy).toBe(
      JSON.stringify({ deadLetterTargetArn: app.stack.physical.MessagesDeadLetterQueue?.attributes.Arn, maxReceiveCount: 3 }),
    );
  });

  it('invokes the function with each message’s body, labelled by the function’s own dependency, batched within the window', async () => {
    const bodies = ['first', 'second', 'third'];
    await app.sqs.send(new SendMessageBatchCommand({ QueueUrl: app.ref('MessagesQueue'), Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }));
    const logged = await eventually(
      async () => app.logs.filter((line) => line.startsWith('[LoggerFunction]') && line.includes('<message>')),
      (lines) => lines.length >= bodies.length,
    );
    for (const body of bodies) expect(logged.some((line) => line.includes(`<message> ${body} batch of`))).toBe(true);
    // One batch of three: the window holds the batch open for the messages sent together.
    expect(logged.every((line) => line.endsWith('batch of 3'))).toBe(true);
    const { Attributes } = await eventually(
      () => app.sqs.send(new GetQueueAttributesCommand({ QueueUrl: app.ref('MessagesQueue'), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })),
      ({ Attributes: a }) => a?.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0',
    );
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('runs the function from its CodeUri as it is, and says it runs nodejs20.x on this Node', () => {
    expect(app.stack.functions).toEqual([{ logicalId: 'LoggerFunction', codeDir: expect.stringMatching(/fixtures\/sqs-logger\/src$/), handlerFile: expect.stringMatching(/fixtures\/sqs-logger\/src\/logger\.js$/) }]);
    expect(app.stack.warnings).toContain(`Runtime nodejs20.x runs on this machine's Node.js ${process.versions.node} (LoggerFunction)`);
  });
});
