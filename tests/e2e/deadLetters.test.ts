// A record that keeps failing ends in its queue's dead-letter queue, through the queue's own
// redrive policy (the stack runs with a 2 s visibility timeout and maxReceiveCount 2).
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { stackState } from './support/stack';

const state = stackState();
const env = state.sdkEnvironment;
const sqs = new SQSClient({
  region: env.AWS_REGION,
  endpoint: env.AWS_ENDPOINT_URL_SQS,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
});

afterAll(() => sqs.destroy());

/** Work queues: those with a redrive policy, and where it sends their dead letters. */
const workQueues = Object.values(state.queues).flatMap((queue) => {
  if (!queue.attributes.RedrivePolicy) return [];
  const { deadLetterTargetArn } = JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn: string };
  const deadLetters = Object.values(state.queues).find((candidate) => candidate.arn === deadLetterTargetArn);
  return deadLetters ? [[queue.logicalId, queue.url, deadLetters.url] as const] : [];
});

async function waitForBody(queueUrl: string, body: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0 }));
    if ((Messages ?? []).some((message) => message.Body === body)) return true;
  }
  return false;
}

describe('a message that its consumer can never handle', () => {
  it('exists on every work queue of the template', () => {
    expect(workQueues.length).toBeGreaterThan(0);
  });

  it.each(workQueues)('sent to %s, lands in its dead-letter queue', async (_name, queueUrl, deadLetterUrl) => {
    const body = `not json ${Math.random()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    expect(await waitForBody(deadLetterUrl, body, 30_000)).toBe(true);
  });
});
