import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as balanceChecker } from '../../../src/handlers/balanceChecker';
import { handler as stockChecker } from '../../../src/handlers/stockChecker';
import { lambdaContext, orderPlaced, sqsEvent } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const reported = () => sqs.commandCalls(SendMessageCommand).map((call) => JSON.parse(call.args[0].input.MessageBody ?? '{}'));

beforeEach(() => {
  db.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

describe('BalanceCheckerFunction', () => {
  it('reports a passed credit check to the order-update queue', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'aaa789', balance: NumberValue.from('1000'), updatedAt: 't' } });
    const order = orderPlaced();
    const response = await balanceChecker(sqsEvent(order), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(reported()).toEqual([{ orderId: order.orderId, check: 'CREDIT', passed: true, detail: 'Credit check passed: balance 1000.00 covers 187.78' }]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.QueueUrl).toBe(process.env.ORDER_UPDATE_QUEUE_URL);
  });

  it('reports a failed check when the customer has no account', async () => {
    db.on(GetCommand).resolves({});
    await balanceChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, reason: 'no-account', detail: 'Credit check failed: customer aaa789 has no account' });
  });

  it('reports a failed check when the balance is short', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'aaa789', balance: NumberValue.from('187.77'), updatedAt: 't' } });
    await balanceChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, reason: 'insufficient-credit', detail: 'Credit check failed: balance 187.77 does not cover 187.78' });
  });

  it('reports only the malformed record of a batch as failed', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'aaa789', balance: NumberValue.from('1000'), updatedAt: 't' } });
    const event = sqsEvent(orderPlaced(), '{not json', orderPlaced());
    const response = await balanceChecker(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
    expect(reported()).toHaveLength(2);
  });

  it('reports the record as failed when DynamoDB fails, so it is retried', async () => {
    db.on(GetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const event = sqsEvent(orderPlaced(), orderPlaced());
    await expect(balanceChecker(event, lambdaContext())).rejects.toThrow(/All records failed/);
    expect(reported()).toEqual([]);
  });

  it('reports the record as failed when the result cannot be sent', async () => {
    db.on(GetCommand).resolves({ Item: { customerId: 'aaa789', balance: NumberValue.from('1000'), updatedAt: 't' } });
    sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS unavailable')).resolves({ MessageId: 'm' });
    const event = sqsEvent(orderPlaced(), orderPlaced());
    const response = await balanceChecker(event, lambdaContext());
    expect(response.batchItemFailures).toHaveLength(1);
  });
});

describe('StockCheckerFunction', () => {
  it('reads all products of an order in one batch and reports a pass', async () => {
    db.on(BatchGetCommand).resolves({
      Responses: {
        stock: [
          { productId: '456', balance: NumberValue.from('1'), updatedAt: 't' },
          { productId: '789', balance: NumberValue.from('100'), updatedAt: 't' },
        ],
      },
    });
    const order = orderPlaced();
    const response = await stockChecker(sqsEvent(order), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(db.commandCalls(BatchGetCommand)).toHaveLength(1);
    expect(reported()).toEqual([{ orderId: order.orderId, check: 'STOCK', passed: true, detail: 'Stock check passed: product 456 has 1, needs 1; product 789 has 100, needs 2' }]);
  });

  it('reports which product is short or missing', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { stock: [{ productId: '456', balance: NumberValue.from('0'), updatedAt: 't' }] } });
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, detail: 'Stock check failed: product 456 has 0, needs 1; product 789 does not exist' });
  });

  it('asks again for keys DynamoDB left unprocessed', async () => {
    db.on(BatchGetCommand)
      .resolvesOnce({ Responses: { stock: [{ productId: '456', balance: NumberValue.from('5'), updatedAt: 't' }] }, UnprocessedKeys: { stock: { Keys: [{ productId: '789' }] } } })
      .resolves({ Responses: { stock: [{ productId: '789', balance: NumberValue.from('5'), updatedAt: 't' }] } });
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(db.commandCalls(BatchGetCommand)).toHaveLength(2);
    expect(reported()[0]).toMatchObject({ passed: true });
  });
});
