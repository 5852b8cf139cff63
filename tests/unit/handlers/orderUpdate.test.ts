import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../src/handlers/orderUpdate';
import { checkResult, lambdaContext, sqsEvent } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: marshall(item) } : {}) });
const updatesWith = (expression: RegExp) => db.commandCalls(UpdateCommand).filter((call) => expression.test(call.args[0].input.UpdateExpression ?? ''));
const shipmentRequests = () => sqs.commandCalls(SendMessageCommand).map((call) => JSON.parse(call.args[0].input.MessageBody ?? '{}'));

beforeEach(() => {
  db.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

describe('OrderUpdateFunction', () => {
  it('records the first passed check without moving the order', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { status: 'PENDING', creditCheck: 'PASSED' } });
    const response = await handler(sqsEvent(checkResult()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(updatesWith(/SET #check = :passed/)).toHaveLength(1);
    expect(updatesWith(/SET #status = :ready/)).toHaveLength(0);
    expect(shipmentRequests()).toEqual([]);
  });

  it('moves the order to READY_TO_SHIP and requests shipping when the second check passes', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { status: 'PENDING', creditCheck: 'PASSED', stockCheck: 'PASSED' } });
    const result = checkResult({ check: 'STOCK' });
    await handler(sqsEvent(result), lambdaContext());
    const [ready] = updatesWith(/SET #status = :ready/);
    expect(ready?.args[0].input.ConditionExpression).toBe('#status = :pending AND creditCheck = :passed AND stockCheck = :passed');
    expect(shipmentRequests()).toEqual([{ orderId: result.orderId }]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.QueueUrl).toBe(process.env.SHIP_ORDER_QUEUE_URL);
  });

  it('does not request shipping when another invocation moved the order first', async () => {
    db.on(UpdateCommand)
      .resolvesOnce({ Attributes: { status: 'PENDING', creditCheck: 'PASSED', stockCheck: 'PASSED' } })
      .rejects(conditionFailed());
    const response = await handler(sqsEvent(checkResult()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(shipmentRequests()).toEqual([]);
  });

  it('retries an update that collides with the order’s shipping transaction, instead of failing the record', async () => {
    const conflict = () => new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });
    db.on(UpdateCommand)
      .rejectsOnce(conflict())
      .resolvesOnce({ Attributes: { status: 'PENDING', creditCheck: 'PASSED', stockCheck: 'PASSED' } })
      .rejectsOnce(conflict())
      .resolves({});
    const result = checkResult({ check: 'STOCK' });
    const response = await handler(sqsEvent(result), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(updatesWith(/SET #check = :passed/)).toHaveLength(2);
    expect(updatesWith(/SET #status = :ready/)).toHaveLength(2);
    expect(shipmentRequests()).toEqual([{ orderId: result.orderId }]);
  });

  it('rejects a PENDING order when a check fails', async () => {
    db.on(UpdateCommand).resolves({});
    await handler(sqsEvent(checkResult({ passed: false, detail: 'Credit check failed: customer aaa789 has no account' })), lambdaContext());
    const [reject] = updatesWith(/SET #status = :rejected/);
    expect(reject?.args[0].input).toMatchObject({
      ConditionExpression: '#status = :pending AND attribute_not_exists(#check)',
      ExpressionAttributeValues: expect.objectContaining({ ':line': ['Credit check failed: customer aaa789 has no account'] }),
    });
  });

  it('changes nothing for a repeated result on an order that has moved on', async () => {
    db.on(UpdateCommand).rejects(conditionFailed({ orderId: 'o', status: 'SHIPPED', creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    const response = await handler(sqsEvent(checkResult()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(shipmentRequests()).toEqual([]);
  });

  it('requests shipping again for a repeated result on a READY_TO_SHIP order', async () => {
    db.on(UpdateCommand).rejects(conditionFailed({ orderId: 'o', status: 'READY_TO_SHIP', creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    const result = checkResult();
    await handler(sqsEvent(result), lambdaContext());
    expect(shipmentRequests()).toEqual([{ orderId: result.orderId }]);
  });

  it('reports only the record whose update failed', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { status: 'PENDING', creditCheck: 'PASSED' } });
    const event = sqsEvent(checkResult(), checkResult({ check: 'BOGUS' as never }), checkResult());
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
  });

  it('reports the record as failed when shipping cannot be requested, so the transition is retried', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { status: 'PENDING', creditCheck: 'PASSED', stockCheck: 'PASSED' } });
    sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
    const event = sqsEvent(checkResult(), checkResult());
    await expect(handler(event, lambdaContext())).rejects.toThrow(/All records failed/);
  });
});
