// SQS -> TypeScript -> DynamoDB: partial batch responses, MaximumConcurrency, and a poison message
// that ends in the dead-letter queue after maxReceiveCount receives while the others are written.
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { eventually, startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  app = await startFixture('sqs-dynamo');
}, 120_000);
afterAll(() => app?.stop());

describe('an SQS -> TypeScript -> DynamoDB app', () => {
  it('polls with partial batch responses, at most MaximumConcurrency batches at a time', () => {
    expect(app.stack.eventSources).toEqual([expect.objectContaining({ functionLogicalId: 'RecordPaymentFunction', batchSize: 10, reportBatchItemFailures: true, concurrency: 2 })]);
  });

  it('writes the good payments and moves the poison one to the dead-letter queue after maxReceiveCount', async () => {
    const payments = [
      { paymentId: 'p1', amount: 10 },
      { paymentId: 'p2', amount: 20 },
      { paymentId: 'poison', amount: -1 },
      { paymentId: 'p3', amount: 30 },
    ];
    await app.sqs.send(new SendMessageBatchCommand({ QueueUrl: app.ref('PaymentsQueue'), Entries: payments.map((payment) => ({ Id: payment.paymentId, MessageBody: JSON.stringify(payment) })) }));
    const written = await eventually(async () => (await app.db.send(new ScanCommand({ TableName: app.ref('PaymentsTable') }))).Items ?? [], (items) => items.length >= 3);
    expect(written.map((item) => item.paymentId).sort()).toEqual(['p1', 'p2', 'p3']);
    const dead = await eventually(
      async () => (await app.sqs.send(new ReceiveMessageCommand({ QueueUrl: app.ref('PaymentsDeadLetterQueue'), WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }))).Messages ?? [],
      (messages) => messages.length > 0,
      30_000,
    );
    expect(dead.map((message) => JSON.parse(message.Body ?? '{}').paymentId)).toEqual(['poison']);
    expect((await app.db.send(new ScanCommand({ TableName: app.ref('PaymentsTable') }))).Items).toHaveLength(3);
    const left = await app.sqs.send(new ReceiveMessageCommand({ QueueUrl: app.ref('PaymentsQueue'), WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toEqual([]);
  });
});
