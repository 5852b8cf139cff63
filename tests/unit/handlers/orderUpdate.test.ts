import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { toOrderItem } from '../../../src/adapters/orderStore';
import { newOrder, type Order } from '../../../src/domain/order';
import { handler } from '../../../src/handlers/orderUpdate';
import { checkResult, lambdaContext, sqsEvent } from '../../support/factories';
import { KEEP_WRITE_TOKEN } from '../../../src/adapters/writeTokens';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const order = (orderId: string, fields: Partial<Order> = {}): Record<string, unknown> =>
  toOrderItem({ ...newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 2 }], totalCents: 18778 }, orderId, '2026-01-01T00:00:00.000Z'), ...fields });
const stored = (...items: Record<string, unknown>[]) => db.on(BatchGetCommand).resolves({ Responses: { orders: items } });
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}) });
const writes = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const shipmentRequests = () => sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '{}')));
const credit = (orderId: string) => checkResult({ orderId, check: 'CREDIT' });
const stock = (orderId: string) => checkResult({ orderId, check: 'STOCK', detail: 'Stock check passed: product 456 has 5, needs 2' });

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.on(UpdateCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('OrderUpdateFunction', () => {
  it('records the first passed check with one conditional write, and requests no shipment', async () => {
    stored(order('o-1'));
    const response = await handler(sqsEvent(credit('o-1')), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(writes()).toEqual([
      expect.objectContaining({
        UpdateExpression: `SET #status = :to, logs = list_append(logs, :lines), updatedAt = :now, creditCheck = :creditCheck, ${KEEP_WRITE_TOKEN}`,
        ConditionExpression: '#status = :from AND attribute_not_exists(creditCheck) AND attribute_not_exists(stockCheck)',
        ExpressionAttributeValues: expect.objectContaining({ ':from': 'PENDING', ':to': 'PENDING', ':creditCheck': 'PASSED' }),
      }),
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('moves the order to READY_TO_SHIP with the second check in the same write, and requests its shipment with the order', async () => {
    stored(order('o-1', { creditCheck: 'PASSED' }));
    await handler(sqsEvent(stock('o-1')), lambdaContext());
    expect(writes()).toEqual([
      expect.objectContaining({
        ConditionExpression: '#status = :from AND creditCheck = :creditCheckWas AND attribute_not_exists(stockCheck)',
        ExpressionAttributeValues: expect.objectContaining({ ':to': 'READY_TO_SHIP', ':stockCheck': 'PASSED', ':lines': [stock('o-1').detail, 'Ready to ship: credit and stock checks passed'] }),
      }),
    ]);
    expect(shipmentRequests()).toEqual([{ orderId: 'o-1', customerId: 'aaa789', items: [{ productId: '456', qty: 2 }], totalAmount: '187.78', createdAt: '2026-01-01T00:00:00.000Z' }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(process.env.SHIP_ORDER_QUEUE_URL);
  });

  it('handles a batch with one read of its orders, one write per order and one send of its shipment requests', async () => {
    stored(order('o-1'), order('o-2'), order('o-3', { stockCheck: 'PASSED' }));
    const event = sqsEvent(credit('o-1'), credit('o-2'), stock('o-1'), credit('o-3'), stock('o-2'));
    expect((await handler(event, lambdaContext())).batchItemFailures).toEqual([]);
    expect(db.commandCalls(BatchGetCommand)).toHaveLength(1);
    expect(writes().map((write) => [write.Key?.orderId, write.ExpressionAttributeValues?.[':to']])).toEqual([
      ['o-1', 'READY_TO_SHIP'],
      ['o-2', 'READY_TO_SHIP'],
      ['o-3', 'READY_TO_SHIP'],
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(shipmentRequests().map((request) => request.orderId)).toEqual(['o-1', 'o-2', 'o-3']);
  });

  it('rejects a PENDING order for a failed check and takes it out of the sweep index', async () => {
    stored(order('o-1'));
    await handler(sqsEvent(checkResult({ orderId: 'o-1', passed: false, reason: 'no-account', detail: 'Credit check failed: customer aaa789 has no account' })), lambdaContext());
    expect(writes()).toEqual([
      expect.objectContaining({
        UpdateExpression: `SET #status = :to, logs = list_append(logs, :lines), updatedAt = :now, creditCheck = :creditCheck, ${KEEP_WRITE_TOKEN} REMOVE sweepShard, sweepAt`,
        ExpressionAttributeValues: expect.objectContaining({ ':to': 'REJECTED', ':creditCheck': 'FAILED', ':lines': ['Credit check failed: customer aaa789 has no account'] }),
      }),
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('decides again from the order a failed condition hands back, when the other result was recorded meanwhile', async () => {
    stored(order('o-1'));
    db.on(UpdateCommand).rejectsOnce(conditionFailed(order('o-1', { stockCheck: 'PASSED' }))).resolves({});
    expect((await handler(sqsEvent(credit('o-1')), lambdaContext())).batchItemFailures).toEqual([]);
    expect(writes().map((write) => write.ExpressionAttributeValues?.[':to'])).toEqual(['PENDING', 'READY_TO_SHIP']);
    expect(shipmentRequests().map((request) => request.orderId)).toEqual(['o-1']);
  });

  it('requests no shipment when another delivery moved the order first', async () => {
    stored(order('o-1', { creditCheck: 'PASSED' }));
    db.on(UpdateCommand).rejects(conditionFailed(order('o-1', { status: 'SHIPPED', creditCheck: 'PASSED', stockCheck: 'PASSED' })));
    expect((await handler(sqsEvent(stock('o-1')), lambdaContext())).batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('retries an update that collides with the order’s shipping transaction, instead of failing the record', async () => {
    stored(order('o-1', { creditCheck: 'PASSED' }));
    db.on(UpdateCommand).rejectsOnce(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} })).resolves({});
    expect((await handler(sqsEvent(stock('o-1')), lambdaContext())).batchItemFailures).toEqual([]);
    expect(writes()).toHaveLength(2);
    expect(shipmentRequests().map((request) => request.orderId)).toEqual(['o-1']);
  });

  it('writes nothing for a repeated result on an order that has moved on, or one that does not exist', async () => {
    stored(order('o-1', { status: 'SHIPPED', creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    expect((await handler(sqsEvent(credit('o-1'), credit('missing')), lambdaContext())).batchItemFailures).toEqual([]);
    expect(writes()).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('requests shipping again, writing nothing, for a repeated result on a READY_TO_SHIP order', async () => {
    stored(order('o-1', { status: 'READY_TO_SHIP', creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    await handler(sqsEvent(credit('o-1')), lambdaContext());
    expect(writes()).toEqual([]);
    expect(shipmentRequests().map((request) => request.orderId)).toEqual(['o-1']);
  });

  it('reports only the malformed record of a batch, and a result naming an id no order can have', async () => {
    stored(order('o-1'), order('o-3'));
    const event = sqsEvent(credit('o-1'), checkResult({ check: 'BOGUS' as never }), credit('o-3'), credit('k'.repeat(3000)));
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }, { itemIdentifier: event.Records[3]?.messageId }]);
    expect(writes().map((write) => write.Key?.orderId)).toEqual(['o-1', 'o-3']);
  });

  it('reports the records of an order whose shipment request SQS did not take, so the transition is retried', async () => {
    stored(order('o-1', { creditCheck: 'PASSED' }), order('o-2', { creditCheck: 'PASSED' }));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '1', MessageId: 'm', MD5OfMessageBody: '' }], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    const event = sqsEvent(stock('o-1'), stock('o-2'));
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    // Tried three times; each retry resent only the entry SQS had failed.
    expect(sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.map((entry) => entry.Id))).toEqual([['0', '1'], ['0'], ['0']]);
  });

  it('fails every record when the orders cannot be read', async () => {
    db.on(BatchGetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(handler(sqsEvent(credit('o-1'), credit('o-2')), lambdaContext())).rejects.toThrow(/All records failed/);
    expect(writes()).toEqual([]);
  });
});
