import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, NumberValue, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { toOrderItem } from '../../../src/adapters/orderStore';
import { newOrder, OrderStatus } from '../../../src/domain/order';
import { handler } from '../../../src/handlers/shipOrder';
import { lambdaContext, sqsEvent } from '../../support/factories';

const db = mockClient(DynamoDBDocumentClient);

const readyOrder = toOrderItem({
  ...newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 1 }, { productId: '789', qty: 2 }], totalCents: 18778 }, 'o-1', '2026-01-01T00:00:00.000Z'),
  status: OrderStatus.ReadyToShip,
});
/** A shipment request as the order-update function sends it: the order it is for. */
const request = (orderId = 'o-1', overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId: 'aaa789',
  items: [
    { productId: '456', qty: 1 },
    { productId: '789', qty: 2 },
  ],
  totalAmount: '187.78',
  createdAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const ok: CancellationReason = { Code: 'None' };
const failed = (item?: Record<string, unknown>): CancellationReason => ({ Code: 'ConditionalCheckFailed', ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}) });
const cancelled = (...reasons: CancellationReason[]) => new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
const conflict = () => cancelled(ok, { Code: 'TransactionConflict' }, ok, ok);
const rejections = () => db.commandCalls(UpdateCommand).map((call) => (call.args[0].input.ExpressionAttributeValues as Record<string, string[]>)[':line']?.[0]);
const transactions = () => db.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);

beforeEach(() => {
  db.reset();
  db.on(UpdateCommand).resolves({});
});

describe('ShipOrderFunction', () => {
  it('ships in one transaction that deducts credit and each product under a condition, reading nothing first', async () => {
    db.on(TransactWriteCommand).resolves({});
    const response = await handler(sqsEvent(request()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    const [items = []] = transactions();
    expect(items.map((item) => [item.Update?.TableName, item.Update?.ConditionExpression])).toEqual([
      ['accounts', 'attribute_exists(customerId) AND balance >= :amount'],
      ['stock', 'attribute_exists(productId) AND balance >= :qty'],
      ['stock', 'attribute_exists(productId) AND balance >= :qty'],
      ['orders', '#status = :ready AND customerId = :customer AND totalAmount = :amount AND #items = :items AND createdAt = :createdAt'],
    ]);
    expect(items[0]?.Update?.ExpressionAttributeValues?.[':amount']).toEqual(NumberValue.from('187.78'));
    expect(items[2]?.Update?.ExpressionAttributeValues?.[':qty']).toBe(2);
    expect(items[3]?.Update?.ExpressionAttributeValues).toMatchObject({ ':customer': 'aaa789', ':amount': NumberValue.from('187.78'), ':items': [{ productId: '456', qty: 1 }, { productId: '789', qty: 2 }] });
    expect(db.commandCalls(GetCommand).length + db.commandCalls(BatchGetCommand).length).toBe(0);
    expect(rejections()).toEqual([]);
  });

  it.each([
    ['insufficient credit', [failed({ customerId: 'aaa789', balance: 5 }), ok, ok, ok], 'Rejected at shipping: insufficient credit for 187.78'],
    ['no account', [failed(), ok, ok, ok], 'Rejected at shipping: customer has no account'],
    ['insufficient stock', [ok, ok, failed({ productId: '789', balance: 1 }), ok], 'Rejected at shipping: insufficient stock for product 789'],
    ['a missing product', [ok, failed(), ok, ok], 'Rejected at shipping: product 456 does not exist'],
  ])('rejects the order for %s', async (_, reasons, line) => {
    db.on(TransactWriteCommand).rejects(cancelled(...reasons));
    const response = await handler(sqsEvent(request()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(rejections()).toEqual([line]);
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ ConditionExpression: '#status = :expected', ExpressionAttributeValues: expect.objectContaining({ ':expected': 'READY_TO_SHIP' }) });
  });

  it('does nothing when the order already moved on, even if balances also fell short', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(failed({ balance: 0 }), ok, ok, failed({ ...readyOrder, status: 'SHIPPED' })));
    const response = await handler(sqsEvent(request()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect([transactions().length, rejections()]).toEqual([1, []]);
  });

  it('ships the order as stored when the request describes it otherwise', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled(ok, ok, ok, failed(readyOrder))).resolves({});
    const response = await handler(sqsEvent(request('o-1', { totalAmount: '0.01' })), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(transactions().map((items) => items[0]?.Update?.ExpressionAttributeValues?.[':amount'])).toEqual([NumberValue.from('0.01'), NumberValue.from('187.78')]);
  });

  it('reads the order of a request that names only its order (as sent before requests carried it)', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { orders: [readyOrder] } });
    db.on(TransactWriteCommand).resolves({});
    expect((await handler(sqsEvent({ orderId: 'o-1' }), lambdaContext())).batchItemFailures).toEqual([]);
    expect(transactions()[0]?.[0]?.Update?.ExpressionAttributeValues?.[':amount']).toEqual(NumberValue.from('187.78'));
  });

  it('retries a transaction conflict instead of rejecting', async () => {
    db.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    const response = await handler(sqsEvent(request()), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(transactions()).toHaveLength(2);
    expect(rejections()).toEqual([]);
  });

  it('keeps retrying conflicts, past the usual attempts, while the invocation has time', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const conflicts = db.on(TransactWriteCommand);
      for (let i = 0; i < 12; i++) conflicts.rejectsOnce(conflict());
      conflicts.resolves({});
      const response = await handler(sqsEvent(request()), lambdaContext());
      expect(response.batchItemFailures).toEqual([]);
      expect(transactions()).toHaveLength(13);
      expect(rejections()).toEqual([]);
    } finally {
      random.mockRestore();
    }
  });

  it('fails the record, without rejecting, when conflicts persist until the invocation must report', async () => {
    db.on(TransactWriteCommand).rejects(conflict());
    const event = sqsEvent(request(), request());
    // 1.3 s left, of which 1 s is kept for reporting: the retries stop within 0.3 s.
    await expect(handler(event, { ...lambdaContext(), getRemainingTimeInMillis: () => 1300 })).rejects.toThrow(/All records failed/);
    expect(transactions().length).toBeGreaterThan(2);
    expect(rejections()).toEqual([]);
  });

  it('ships at the same time the orders of a batch that share no account or product, and one after another those that do', async () => {
    const atOnce: string[][] = [];
    const shipping = new Set<string>();
    db.on(TransactWriteCommand).callsFake(async ({ TransactItems }: { TransactItems: { Update: { Key: Record<string, string> } }[] }) => {
      const orderId = String(TransactItems.at(-1)?.Update.Key.orderId);
      shipping.add(orderId);
      atOnce.push([...shipping].sort());
      await new Promise((resolve) => setTimeout(resolve, 10));
      shipping.delete(orderId);
      return {};
    });
    const others = (orderId: string, customerId: string, productId: string) => request(orderId, { customerId, items: [{ productId, qty: 1 }] });
    const response = await handler(sqsEvent(request('o-1'), others('o-2', 'other', '789'), others('o-3', 'third', 'p3'), others('o-4', 'aaa789', 'p4')), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    // o-2 shares product 789 with o-1, and o-4 its customer: both wait for o-1; o-3 shares nothing.
    expect(atOnce.at(1)).toEqual(['o-1', 'o-3']);
    expect(atOnce.at(-1)).toEqual(['o-2', 'o-4']);
  });

  it('reports a malformed shipment request as failed and ships the rest', async () => {
    db.on(TransactWriteCommand).resolves({});
    const event = sqsEvent(request(), { order: 'o-2' }, request('o-3', { totalAmount: 'lots' }));
    const response = await handler(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }, { itemIdentifier: event.Records[2]?.messageId }]);
    expect(transactions()).toHaveLength(1);
  });
});
