import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
process.env.ORDER_DEADLINE_SECONDS = '300';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../../src/handlers/orderSweeper') as typeof import('../../../src/handlers/orderSweeper');

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
});

describe('OrderSweeperFunction', () => {
  it('rejects overdue PENDING orders and re-requests shipment of overdue READY_TO_SHIP ones', async () => {
    const open = { PENDING: { orderId: 'stuck', openStatus: 'PENDING', openSince: ago(400) }, READY_TO_SHIP: { orderId: 'waiting', openStatus: 'READY_TO_SHIP', openSince: ago(400) } };
    db.on(QueryCommand).callsFake(async (input) => ({ Items: [open[input.ExpressionAttributeValues[':status'] as keyof typeof open]] }));
    expect(await handler()).toEqual({ rejected: 1, shippingRequested: 1 });
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ Key: { orderId: 'stuck' }, ConditionExpression: '#status = :expected' });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody ?? ''))).toEqual([{ orderId: 'waiting' }]);
  });

  it('reads every page of the index', async () => {
    db.on(QueryCommand)
      .resolvesOnce({ Items: [{ orderId: 'a', openStatus: 'PENDING', openSince: ago(400) }], LastEvaluatedKey: { orderId: 'a' } })
      .resolvesOnce({ Items: [{ orderId: 'b', openStatus: 'PENDING', openSince: ago(400) }] })
      .resolves({ Items: [] });
    expect((await handler()).rejected).toBe(2);
  });

  it('does not count an order that moved on while it was being swept', async () => {
    db.on(QueryCommand).resolvesOnce({ Items: [{ orderId: 'a', openStatus: 'PENDING', openSince: ago(400) }] }).resolves({ Items: [] });
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'moved on', $metadata: {} }));
    expect(await handler()).toEqual({ rejected: 0, shippingRequested: 0 });
  });

  it('fails the run when DynamoDB cannot be queried, so the next run tries again', async () => {
    db.on(QueryCommand).rejects(new Error('throttled'));
    await expect(handler()).rejects.toThrow('throttled');
  });
});
