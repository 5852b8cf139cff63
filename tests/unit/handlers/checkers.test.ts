import { BatchGetCommand, DynamoDBDocumentClient, NumberValue } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as balanceChecker } from '../../../src/handlers/balanceChecker';
import { handler as stockChecker } from '../../../src/handlers/stockChecker';
import { lambdaContext, orderPlaced, sqsEvent } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const reported = () => sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '{}')));
const keysRead = () => db.commandCalls(BatchGetCommand).map((call) => Object.values(call.args[0].input.RequestItems ?? {}).flatMap((request) => (request.Keys ?? []).map((key) => Object.values(key)[0])));
const accounts = (...balances: [string, string][]) => db.on(BatchGetCommand).resolves({ Responses: { accounts: balances.map(([customerId, balance]) => ({ customerId, balance: NumberValue.from(balance), updatedAt: 't' })) } });

beforeEach(() => {
  db.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('BalanceCheckerFunction', () => {
  it('reports a passed credit check to the order-update queue', async () => {
    accounts(['aaa789', '1000']);
    const order = orderPlaced();
    const response = await balanceChecker(sqsEvent(order), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(reported()).toEqual([{ orderId: order.orderId, check: 'CREDIT', passed: true, detail: 'Credit check passed: balance 1000.00 covers 187.78' }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(process.env.ORDER_UPDATE_QUEUE_URL);
  });

  it('checks a batch with one read of its customers’ accounts and one send of its results', async () => {
    accounts(['aaa789', '1000'], ['bbb968', '5']);
    const orders = [orderPlaced(), orderPlaced({ customerId: 'bbb968' }), orderPlaced(), orderPlaced({ customerId: 'nobody' })];
    await balanceChecker(sqsEvent(...orders), lambdaContext());
    expect(keysRead()).toEqual([['aaa789', 'bbb968', 'nobody']]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(reported().map((result) => [result.orderId, result.passed, result.reason])).toEqual([
      [orders[0]?.orderId, true, undefined],
      [orders[1]?.orderId, false, 'insufficient-credit'],
      [orders[2]?.orderId, true, undefined],
      [orders[3]?.orderId, false, 'no-account'],
    ]);
  });

  it('reports a failed check when the customer has no account', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { accounts: [] } });
    await balanceChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, reason: 'no-account', detail: 'Credit check failed: customer aaa789 has no account' });
  });

  it('reports a failed check when the balance is short', async () => {
    accounts(['aaa789', '187.77']);
    await balanceChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, reason: 'insufficient-credit', detail: 'Credit check failed: balance 187.77 does not cover 187.78' });
  });

  it('reports only the malformed record of a batch as failed', async () => {
    accounts(['aaa789', '1000']);
    const event = sqsEvent(orderPlaced(), '{not json', orderPlaced());
    const response = await balanceChecker(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
    expect(reported()).toHaveLength(2);
  });

  it('fails only the orders whose account cannot be read (no key can be that id, or its balance is no amount)', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { accounts: [{ customerId: 'garbled', balance: 'plenty', updatedAt: 't' }, { customerId: 'aaa789', balance: NumberValue.from('1000'), updatedAt: 't' }] } });
    const event = sqsEvent(orderPlaced({ customerId: 'garbled' }), orderPlaced(), orderPlaced({ customerId: 'k'.repeat(3000) }));
    const response = await balanceChecker(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }, { itemIdentifier: event.Records[2]?.messageId }]);
    expect(keysRead()).toEqual([['garbled', 'aaa789']]);
    expect(reported()).toHaveLength(1);
  });

  it('reports every record as failed when DynamoDB fails, so they are retried', async () => {
    db.on(BatchGetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(balanceChecker(sqsEvent(orderPlaced(), orderPlaced()), lambdaContext())).rejects.toThrow(/All records failed/);
    expect(reported()).toEqual([]);
  });

  it('reports as failed the record whose result SQS did not take, and only it', async () => {
    accounts(['aaa789', '1000']);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] });
    const event = sqsEvent(orderPlaced(), orderPlaced());
    const response = await balanceChecker(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
  });
});

describe('StockCheckerFunction', () => {
  const stock = (...balances: [string, string][]) => ({ Responses: { stock: balances.map(([productId, balance]) => ({ productId, balance: NumberValue.from(balance), updatedAt: 't' })) } });

  it('reads the products of a whole batch at once and reports a pass for each order they cover', async () => {
    db.on(BatchGetCommand).resolves(stock(['456', '1'], ['789', '100'], ['111', '3']));
    const orders = [orderPlaced(), orderPlaced({ items: [{ productId: '111', qty: 3 }, { productId: '789', qty: 1 }] })];
    const response = await stockChecker(sqsEvent(...orders), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(keysRead()).toEqual([['456', '789', '111']]);
    expect(reported()).toEqual([
      { orderId: orders[0]?.orderId, check: 'STOCK', passed: true, detail: 'Stock check passed: product 456 has 1, needs 1; product 789 has 100, needs 2' },
      { orderId: orders[1]?.orderId, check: 'STOCK', passed: true, detail: 'Stock check passed: product 111 has 3, needs 3; product 789 has 100, needs 1' },
    ]);
  });

  it('reads more than 100 products in calls of 100', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { stock: [] } });
    const orders = Array.from({ length: 5 }, (_, order) => orderPlaced({ items: Array.from({ length: 50 }, (__, item) => ({ productId: `p-${order}-${item}`, qty: 1 })) }));
    await stockChecker(sqsEvent(...orders), lambdaContext());
    expect(keysRead().map((keys) => keys.length)).toEqual([100, 100, 50]);
  });

  it('reports which product is short or missing', async () => {
    db.on(BatchGetCommand).resolves(stock(['456', '0']));
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(reported()[0]).toMatchObject({ passed: false, detail: 'Stock check failed: product 456 has 0, needs 1; product 789 does not exist' });
  });

  it('asks again for keys DynamoDB left unprocessed', async () => {
    db.on(BatchGetCommand)
      .resolvesOnce({ ...stock(['456', '5']), UnprocessedKeys: { stock: { Keys: [{ productId: '789' }] } } })
      .resolves(stock(['789', '5']));
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext());
    expect(keysRead()).toEqual([['456', '789'], ['789']]);
    expect(reported()[0]).toMatchObject({ passed: true });
  });
});
