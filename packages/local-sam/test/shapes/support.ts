// Starts a fixture app (packages/local-sam/test/fixtures/<app>/template.yaml) in-process on
// emulators of its own, keeps what its functions log, and hands out SDK clients for its emulators.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../../src/emulators';
import type { HostMessage, HostOptions, StackDescription } from './host';

export const fixturePath = (app: string) => join(__dirname, '..', 'fixtures', app, 'template.yaml');

export interface FixtureStack {
  stack: StackDescription;
  /** Every line logged so far, as `[source] line`. */
  logs: string[];
  db: DynamoDBDocumentClient;
  sqs: SQSClient;
  sns: SNSClient;
  /** What Ref gives for a resource: a table's name, a queue's URL, a topic's ARN. */
  ref(logicalId: string): string;
  stop(): Promise<void>;
}

/** Starts the fixture app `app` in a process of its own (host.ts); `stackName` is the app's folder name. */
export async function startFixture(app: string, options: Omit<HostOptions, 'templatePath' | 'stackName'> = {}): Promise<FixtureStack> {
  const logs: string[] = [];
  const child: ChildProcess = fork(join(__dirname, 'host.ts'), [JSON.stringify({ templatePath: fixturePath(app), stackName: app, ...options })], {
    execArgv: ['--import', 'tsx', '--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stack = await new Promise<StackDescription>((resolve, reject) => {
    child.on('message', (message: HostMessage) => {
      if (message.type === 'log') logs.push(message.line);
      else if (message.type === 'ready') resolve(message.stack);
      else reject(new Error(message.message));
    });
    child.once('exit', (code) => reject(new Error(`the ${app} stack exited with code ${code} before it was ready`)));
  });
  const config = { region: stack.region, credentials: LOCAL_CREDENTIALS };
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: stack.emulators.dynamoEndpoint }));
  const sqs = new SQSClient({ ...config, endpoint: stack.emulators.messagingEndpoint, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient({ ...config, endpoint: stack.emulators.messagingEndpoint });
  return {
    stack,
    logs,
    db,
    sqs,
    sns,
    ref: (logicalId) => {
      const physical = stack.physical[logicalId];
      if (!physical) throw new Error(`${app} has no resource ${logicalId}`);
      return physical.ref;
    },
    async stop() {
      db.destroy();
      sqs.destroy();
      sns.destroy();
      child.send('stop');
      await exited;
    },
  };
}

/** Asks until the answer passes `accept`, for at most `timeoutMs`; then fails with the last answer. */
export async function eventually<T>(ask: () => Promise<T>, accept: (answer: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask();
    if (accept(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
