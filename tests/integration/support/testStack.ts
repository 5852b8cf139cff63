// A stack of its own for each integration test file: the template's tables, queues, topic and
// subscriptions created in the shared emulators under a unique stack name, the functions'
// environment resolved to them, and a way to deliver queued messages to a function by hand.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadTemplate, provision, type ProvisionedStack } from 'local-sam/tools';
import { lambdaContext } from '../../support/factories';

export interface TestStack {
  stack: ProvisionedStack;
  tableName(logicalId: string): string;
  queueUrl(logicalId: string): string;
  sqs: SQSClient;
  db: DynamoDBDocumentClient;
  /** Loads a function's handler with its template environment, as a fresh module. */
  handler<T>(functionLogicalId: string): T;
  /** Receives what is on a queue and hands it to a function as one batch; deletes what succeeded. */
  drain(queueLogicalId: string, functionLogicalId: string, options?: { deliverTwice?: boolean }): Promise<{ delivered: Message[]; failed: string[] }>;
  receiveAll(queueLogicalId: string): Promise<Message[]>;
}

export async function createTestStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  const endpoints = { dynamoEndpoint: requireEnv('AWS_ENDPOINT_URL_DYNAMODB'), messagingEndpoint: requireEnv('AWS_ENDPOINT_URL_SQS') };
  const template = loadTemplate(join(__dirname, '../../../template.yaml'), overrides, { stackName: `it-${randomUUID().slice(0, 8)}` });
  const stack = await provision(template, endpoints);
  const sqs = new SQSClient({});
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { unmarshallOptions: { wrapNumbers: true } });
  const handlers = new Map<string, unknown>();
  const emulatorEndpoints = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('AWS_ENDPOINT_URL')));

  const tableName = (logicalId: string) => must(stack.tables.find((t) => t.logicalId === logicalId), logicalId).name;
  const queueUrl = (logicalId: string) => must(stack.queues.find((q) => q.logicalId === logicalId), logicalId).url;

  function handler<T>(functionLogicalId: string): T {
    if (!handlers.has(functionLogicalId)) {
      const resource = must(template.resources[functionLogicalId], functionLogicalId);
      const variables = stack.resolve((resource.properties.Environment as { Variables?: object } | undefined)?.Variables ?? {}) as Record<string, string>;
      const entry = ((resource.metadata.BuildProperties as { EntryPoints: string[] }).EntryPoints[0] ?? '').replace(/\.ts$/, '');
      // As the local runtime does: the template's variables, then the emulators' endpoints (the
      // template declares them empty, for AWS), so the handler's SDK clients reach the emulators.
      Object.assign(process.env, variables, emulatorEndpoints, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handlers.set(functionLogicalId, require(join(template.dir, entry)).handler);
      });
    }
    return handlers.get(functionLogicalId) as T;
  }

  async function receiveAll(queueLogicalId: string): Promise<Message[]> {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl(queueLogicalId), MaxNumberOfMessages: 10, WaitTimeSeconds: messages.length === 0 ? 1 : 0, MessageSystemAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
    }
  }

  async function drain(queueLogicalId: string, functionLogicalId: string, options: { deliverTwice?: boolean } = {}) {
    const messages = await receiveAll(queueLogicalId);
    const run = handler<(event: SQSEvent, context: Context) => Promise<SQSBatchResponse>>(functionLogicalId);
    const queueArn = must(stack.queues.find((q) => q.logicalId === queueLogicalId), queueLogicalId).arn;
    const failed = new Set<string>();
    for (let round = 0; round < (options.deliverTwice ? 2 : 1); round++) {
      for (let start = 0; start < messages.length; start += 10) {
        const batch = messages.slice(start, start + 10);
        const event: SQSEvent = {
          Records: batch.map((message) => ({
            messageId: message.MessageId ?? '',
            receiptHandle: message.ReceiptHandle ?? '',
            body: message.Body ?? '',
            attributes: {
              ApproximateReceiveCount: String(round + 1),
              SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
              SenderId: message.Attributes?.SenderId ?? 'local',
              ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
            },
            messageAttributes: {},
            md5OfBody: message.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: queueArn,
            awsRegion: process.env.AWS_REGION ?? 'us-east-1',
          })),
        };
        let response: SQSBatchResponse;
        try {
          response = await run(event, lambdaContext(functionLogicalId));
        } catch {
          response = { batchItemFailures: batch.map((m) => ({ itemIdentifier: m.MessageId ?? '' })) };
        }
        for (const failure of response.batchItemFailures) failed.add(failure.itemIdentifier);
      }
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    for (let start = 0; start < done.length; start += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl(queueLogicalId),
          Entries: done.slice(start, start + 10).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    return { delivered: messages, failed: [...failed] };
  }

  return { stack, tableName, queueUrl, sqs, db, handler, drain, receiveAll };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the integration project's global setup starts the emulators`);
  return value;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not in the template`);
  return value;
}
