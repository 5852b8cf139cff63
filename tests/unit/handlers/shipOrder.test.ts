import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../src/handlers/shipOrder';
import { lambdaContext, sqsEvent } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);

const readyOrder = {
  orderId: 'o-1',
  customerId: 'aaa789',
  items: [
    { productId: '456', qty: NumberValue.from('1') },
    { productId: '789', qty: NumberValue.from('2') },
  ],
  totalAmount: NumberValue.from('187.78'),
  status: 'READY_TO_SHIP',
  createdAt: 't',
  updatedAt: 't',
  logs: [],
};

const ok: CancellationReason = { Code: 'None' };
const failed = (item?: Record<string, unknown>): CancellationReason => ({ Code: 'ConditionalCheckFailed', ...(item ? { Item: marshall(item) } : {}) });
const cancelled = (...reasons: CancellationReason[]) =>
  new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
const rejections = () =>
  db.commandCalls(UpdateCommand).map((call) => (call.args[0].input.ExpressionAttributeValues as Record<string, string[]>)[':line']?.[0]);

beforeEach(() => {
  db.reset();
  db.on(GetCommand).resolves({ Item: readyOrder });
  db.on(UpdateCommand).resolves({});
});

describe('ShipOrderFunction', () => {
  it('ships in one transaction that deducts credit and each product under a condition', async () => {
    db.on(TransactWriteCommand).resolves({});
    const response = await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => [item.Update?.TableName, item.Update?.ConditionExpression])).toEqual([
      ['accounts', 'attribute_exists(customerId) AND balance >= :amount'],
      ['stock', 'attribute_exists(productId) AND balance >= :qty'],
      ['stock', 'attribute_exists(productId) AND balance >= :qty'],
      ['orders', '#status = :ready'],
    ]);
    expect(items[0]?.Update?.ExpressionAttributeValues?.[':amount']).toEqual(NumberValue.from('187.78'));
    expect(items[2]?.Update?.ExpressionAttributeValues?.[':qty']).toBe(2);
    expect(rejections()).toEqual([]);
  });

  it.each([
    ['insufficient credit', [failed({ customerId: 'aaa789', balance: 5 }), ok, ok, ok], 'Rejected at shipping: insufficient credit for 187.78'],
    ['no account', [failed(), ok, ok, ok], 'Rejected at shipping: customer has no account'],
    ['insufficient stock', [ok, ok, failed({ productId: '789', balance: 1 }), ok], 'Rejected at shipping: insufficient stock for product 789'],
    ['a missing product', [ok, failed(), ok, ok], 'Rejected at shipping: product 456 does not exist'],
  ])('rejects the order for %s', async (_, reasons, line) => {
    db.on(TransactWriteCommand).rejects(cancelled(...reasons));
    const response = await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(rejections()).toEqual([line]);
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ ConditionExpression: '#status = :expected', ExpressionAttributeValues: expect.objectContaining({ ':expected': 'READY_TO_SHIP' }) });
  });

  it('does nothing when the order already moved on, even if balances also fell short', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(failed({ balance: 0 }), ok, ok, failed({ status: 'SHIPPED' })));
    const response = await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(rejections()).toEqual([]);
  });

  it('retries a transaction conflict instead of rejecting', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled(ok, { Code: 'TransactionConflict' }, ok, ok)).resolves({});
    const response = await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(rejections()).toEqual([]);
  });

  it('keeps retrying conflicts, past the usual attempts, while the invocation has time', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const conflict = db.on(TransactWriteCommand);
      for (let i = 0; i < 12; i++) conflict.rejectsOnce(cancelled(ok, { Code: 'TransactionConflict' }, ok, ok));
      conflict.resolves({});
      const response = await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
      expect(response.batchItemFailures).toEqual([]);
      expect(db.commandCalls(TransactWriteCommand)).toHaveLength(13);
      expect(rejections()).toEqual([]);
    } finally {
      random.mockRestore();
    }
  });

  it('fails the record, without rejecting, when conflicts persist until the invocation must report', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(ok, { Code: 'TransactionConflict' }, ok, ok));
    const event = sqsEvent({ orderId: 'o-1' }, { orderId: 'o-1' });
    // 1.3 s left, of which 1 s is kept for reporting: the retries stop within 0.3 s.
    await expect(handler(event, { ...lambdaContext(), getRemainingTimeInMillis: () => 1300 })).rejects.toThrow(/All records failed/);
    expect(db.commandCalls(TransactWriteCommand).length).toBeGreaterThan(2);
    expect(rejections()).toEqual([]);
  });

  it('ships the records of a batch one after another, so that they do not cancel each other', async () => {
    let running = 0;
    let mostAtOnce = 0;
    db.on(TransactWriteCommand).callsFake(async () => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      return {};
    });
    const response = await handler(sqsEvent({ orderId: 'o-1' }, { orderId: 'o-2' }, { orderId: 'o-3' }), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(3);
    expect(mostAtOnce).toBe(1);
  });

  it('does not try to ship an order that is not READY_TO_SHIP', async () => {
    db.on(GetCommand).resolves({ Item: { ...readyOrder, status: 'SHIPPED' } });
    await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext());
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('reports a malformed shipment request as failed and ships the rest', async () => {
    db.on(TransactWriteCommand).resolves({});
    const event = sqsEvent({ orderId: 'o-1' }, { order: 'o-2' });
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
