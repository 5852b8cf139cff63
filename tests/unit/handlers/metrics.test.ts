// What each function measures, read from the EMF lines it writes (the SDK mocked).
import { captureEmf, metricsOf, named, type EmfLine } from '../../support/emf';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, NumberValue, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { toOrderItem } from '../../../src/adapters/orderStore';
import { toShipmentRequestMessage } from '../../../src/domain/messages';
import { newOrder, OrderStatus, type Order } from '../../../src/domain/order';
import { handler as balanceChecker } from '../../../src/handlers/balanceChecker';
import { handler as orderApi } from '../../../src/handlers/orderApi';
import { handler as orderSweeper } from '../../../src/handlers/orderSweeper';
import { handler as orderUpdate } from '../../../src/handlers/orderUpdate';
import { handler as shipOrder } from '../../../src/handlers/shipOrder';
import { handler as stockChecker } from '../../../src/handlers/stockChecker';
import { apiEvent, checkResult, lambdaContext, orderBody, orderPlaced, sqsEvent } from '../../support/factories';
import { fakeIdempotencyTable, fakeOrderTable } from '../../support/fakeTables';

const db = mockClient(DynamoDBDocumentClient);
const idempotencyDb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

const lines = captureEmf();
/** What the invocation measured, its cold start aside (Powertools writes that at once, on the first invocation only). */
const measured = (): EmfLine[] => lines.filter((line) => !('ColdStart' in line));

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const placed = (orderId: string, msAgo: number, fields: Partial<Order> = {}): Order => ({
  ...newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 1 }], totalCents: 18778 }, orderId, new Date(NOW - msAgo).toISOString()),
  ...fields,
});

beforeEach(() => {
  for (const client of [db, idempotencyDb, sqs, sns]) client.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
});
afterEach(() => jest.mocked(Date.now).mockRestore());

describe('OrderApiFunction', () => {
  const post = (resource: string, body: unknown, headers: Record<string, string> = {}) => orderApi(apiEvent({ method: 'POST', resource, body, headers }), lambdaContext('OrderApiFunction'));
  let idempotencyTable: ReturnType<typeof fakeIdempotencyTable>;
  beforeEach(() => {
    fakeOrderTable(db);
    idempotencyTable = fakeIdempotencyTable(idempotencyDb);
  });

  it('counts the orders a request places', async () => {
    await post('/orders', { orders: [orderBody(), orderBody(), orderBody()] });
    expect(named(lines, 'OrdersPlaced')).toEqual([{ dimensions: {}, values: [3], unit: 'Count' }]);
    expect(named(lines, 'OrdersReplayed')).toEqual([]);
  });

  it('counts a retry with the same Idempotency-Key as replayed, not placed, whether Powertools or the stored orders answer it', async () => {
    await post('/order', orderBody(), { 'Idempotency-Key': 'k-1' });
    lines.length = 0;
    await post('/order', orderBody(), { 'Idempotency-Key': 'k-1' });
    expect(named(lines, 'OrdersReplayed')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
    idempotencyTable.records.clear(); // the first attempt saved no idempotency record: its orders answer for it
    lines.length = 0;
    await post('/order', orderBody(), { 'Idempotency-Key': 'k-1' });
    expect(named(lines, 'OrdersReplayed')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
    expect(named(lines, 'OrdersPlaced')).toEqual([]);
  });

  it('counts the orders it stored but could not announce, which the sweeper announces late', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('SNS unavailable'));
    expect((await post('/order', orderBody())).statusCode).toBe(202);
    expect(named(lines, 'OrdersPlaced')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
    expect(named(lines, 'OrdersUnannounced')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
  });

  it('measures nothing for a read or a refused request', async () => {
    await orderApi(apiEvent({ method: 'GET', resource: '/order/{orderId}', pathParameters: { orderId: 'none' } }), lambdaContext('OrderApiFunction'));
    expect((await post('/order', orderBody({ totalAmount: -1 }))).statusCode).toBe(400);
    expect(measured()).toEqual([]);
  });
});

describe('the checkers', () => {
  it('count each check by its outcome, and write a whole batch once, when it is done', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { accounts: [{ customerId: 'aaa789', balance: NumberValue.from('1000'), updatedAt: 't' }] } });
    const writtenWhileHandling: number[] = [];
    sqs.on(SendMessageBatchCommand).callsFake(async () => (writtenWhileHandling.push(measured().length), { Successful: [], Failed: [] }));
    await balanceChecker(sqsEvent(orderPlaced(), orderPlaced({ customerId: 'nobody' }), orderPlaced()), lambdaContext('BalanceCheckerFunction'));
    expect(writtenWhileHandling).toEqual([0]);
    expect(named(lines, 'CheckResults')).toEqual(
      expect.arrayContaining([
        { dimensions: { Check: 'credit', Outcome: 'passed' }, values: [1, 1], unit: 'Count' },
        { dimensions: { Check: 'credit', Outcome: 'failed' }, values: [1], unit: 'Count' },
      ]),
    );
    expect(measured()).toHaveLength(2);
  });

  it('count a stock check', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { stock: [] } });
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext('StockCheckerFunction'));
    expect(named(lines, 'CheckResults')).toEqual([{ dimensions: { Check: 'stock', Outcome: 'failed' }, values: [1], unit: 'Count' }]);
  });

  it('count no check whose result could not be sent', async () => {
    db.on(BatchGetCommand).resolves({ Responses: { stock: [] } });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await stockChecker(sqsEvent(orderPlaced()), lambdaContext('StockCheckerFunction')).catch(() => undefined);
    expect(named(lines, 'CheckResults')).toEqual([]);
    expect(named(lines, 'MessagesFailed')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
  });

  it('count a message that could not be handled, once per failure', async () => {
    db.on(BatchGetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const response = await balanceChecker(sqsEvent('{not json', orderPlaced(), orderPlaced()), lambdaContext('BalanceCheckerFunction')).catch((error: Error) => error);
    expect(response).toBeInstanceOf(Error); // every record failed: Powertools fails the invocation
    expect(named(lines, 'MessagesFailed')).toEqual([{ dimensions: {}, values: [1, 1, 1], unit: 'Count' }]);
  });
});

describe('OrderUpdateFunction', () => {
  /** The order table as the batch reads it; every write succeeds. */
  function orders(...pending: Order[]) {
    db.on(BatchGetCommand).resolves({ Responses: { orders: pending.map((order) => toOrderItem(order)) } });
    db.on(UpdateCommand).resolves({});
  }

  it('counts each rejection by its reason, with the time from placement, and nothing for a result that only records a check', async () => {
    orders(placed('o-1', 2000), placed('o-2', 5000), placed('o-3', 1000));
    await orderUpdate(
      sqsEvent(
        checkResult({ orderId: 'o-1', passed: false, reason: 'no-account', detail: 'Credit check failed: customer aaa789 has no account' }),
        checkResult({ orderId: 'o-2', check: 'STOCK', passed: false, reason: 'insufficient-stock', detail: 'Stock check failed: product 456 has 0, needs 1' }),
        checkResult({ orderId: 'o-3' }),
      ),
      lambdaContext('OrderUpdateFunction'),
    );
    expect(named(lines, 'OrdersRejected')).toEqual(
      expect.arrayContaining([
        { dimensions: { Reason: 'no-account' }, values: [1], unit: 'Count' },
        { dimensions: { Reason: 'insufficient-stock' }, values: [1], unit: 'Count' },
      ]),
    );
    expect(named(lines, 'TimeToFinalState').map(({ dimensions, values }) => ({ dimensions, values: [...values].sort((a, b) => a - b) }))).toEqual([
      { dimensions: { Outcome: 'rejected' }, values: [2000, 5000] },
    ]);
    expect(measured()).toHaveLength(3);
  });

  it('counts one rejection for an order whose two failed results came in one batch, by the first', async () => {
    orders(placed('o-1', 2000));
    await orderUpdate(
      sqsEvent(checkResult({ orderId: 'o-1', check: 'STOCK', passed: false, reason: 'no-product' }), checkResult({ orderId: 'o-1', passed: false, reason: 'insufficient-credit' })),
      lambdaContext('OrderUpdateFunction'),
    );
    expect(named(lines, 'OrdersRejected')).toEqual([{ dimensions: { Reason: 'no-product' }, values: [1], unit: 'Count' }]);
  });

  it('counts no rejection for a failed result the order had already moved past', async () => {
    orders(placed('o-1', 100, { status: OrderStatus.ReadyToShip, creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    await orderUpdate(sqsEvent(checkResult({ orderId: 'o-1', passed: false, reason: 'no-account' })), lambdaContext('OrderUpdateFunction'));
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'moved on', $metadata: {}, Item: marshall(toOrderItem(placed('o-2', 100, { status: OrderStatus.Rejected, creditCheck: 'FAILED' }))) }));
    db.on(BatchGetCommand).resolves({ Responses: { orders: [toOrderItem(placed('o-2', 100))] } });
    await orderUpdate(sqsEvent(checkResult({ orderId: 'o-2', check: 'STOCK', passed: false, reason: 'no-product' })), lambdaContext('OrderUpdateFunction'));
    expect(named(lines, 'OrdersRejected')).toEqual([]);
  });
});

describe('ShipOrderFunction', () => {
  const ok: CancellationReason = { Code: 'None' };
  const cancelled = (...reasons: CancellationReason[]) => new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
  /** A shipment request for an order placed `msAgo`, carrying the order as the order-update function sends it. */
  const request = (orderId: string, msAgo: number) => toShipmentRequestMessage(placed(orderId, msAgo));
  const orderIn = (input: { TransactItems: { Update: { Key: Record<string, string> } }[] }) => String(input.TransactItems.at(-1)?.Update.Key.orderId);

  beforeEach(() => {
    db.on(UpdateCommand).resolves({});
  });

  it('counts a shipment and a rejection at shipping by its reason, each with the time from placement', async () => {
    db.on(TransactWriteCommand).callsFake(async (input: Parameters<typeof orderIn>[0]) => {
      if (orderIn(input) === 'short') throw cancelled({ Code: 'ConditionalCheckFailed', Item: marshall({ customerId: 'aaa789', balance: 5 }) }, ok, ok);
      return {};
    });
    await shipOrder(sqsEvent(request('fast', 800), request('short', 3000)), lambdaContext('ShipOrderFunction'));
    expect(named(lines, 'OrdersShipped')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
    expect(named(lines, 'OrdersRejected')).toEqual([{ dimensions: { Reason: 'insufficient-credit' }, values: [1], unit: 'Count' }]);
    expect(named(lines, 'TimeToFinalState')).toEqual(
      expect.arrayContaining([
        { dimensions: { Outcome: 'shipped' }, values: [800], unit: 'Milliseconds' },
        { dimensions: { Outcome: 'rejected' }, values: [3000], unit: 'Milliseconds' },
      ]),
    );
  });

  it('counts each retry of a shipping transaction that another transaction cancelled', async () => {
    db.on(TransactWriteCommand)
      .rejectsOnce(cancelled(ok, { Code: 'TransactionConflict' }, ok))
      .rejectsOnce(cancelled({ Code: 'ThrottlingError' }, ok, ok))
      .resolves({});
    await shipOrder(sqsEvent(request('fast', 800)), lambdaContext('ShipOrderFunction'));
    expect(named(lines, 'ShippingTransactionRetries')).toEqual([{ dimensions: {}, values: [1, 1], unit: 'Count' }]);
    expect(named(lines, 'OrdersShipped')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
  });

  it('counts nothing final for a shipment request whose order has moved on', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(ok, ok, { Code: 'ConditionalCheckFailed', Item: marshall({ status: 'SHIPPED' }) }));
    await shipOrder(sqsEvent(request('fast', 800)), lambdaContext('ShipOrderFunction'));
    expect(measured()).toEqual([]);
  });
});

describe('OrderSweeperFunction', () => {
  it('counts the orders it rejects for dead letters, what it did with due orders, and the dead letters it read', async () => {
    const heldUp = placed('held-up', 600_000);
    const due = { ...toOrderItem(placed('due', 900_000, { creditCheck: 'PASSED' }), new Date(NOW - 5000).toISOString()) };
    // Two dead letters in the credit check's queue, hidden once received (a sweep pages until none is left).
    const waiting: Record<string, { MessageId: string; ReceiptHandle: string; Body: string }[]> = {
      [String(process.env.BALANCE_CHECKER_DEAD_LETTER_QUEUE_URL)]: [
        { MessageId: 'dl-1', ReceiptHandle: 'r-1', Body: JSON.stringify({ orderId: 'held-up' }) },
        { MessageId: 'dl-2', ReceiptHandle: 'r-2', Body: 'not json' },
      ],
    };
    sqs.on(ReceiveMessageCommand).callsFake(async ({ QueueUrl }: { QueueUrl: string }) => ({ Messages: waiting[QueueUrl]?.splice(0) ?? [] }));
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    db.on(BatchGetCommand).resolves({ Responses: { orders: [toOrderItem(heldUp)] } });
    db.on(QueryCommand).callsFake(async ({ ExpressionAttributeValues }: { ExpressionAttributeValues: Record<string, string> }) => ({
      Items: ExpressionAttributeValues[':shard'] === due.sweepShard ? [{ orderId: 'due' }] : [],
    }));
    db.on(GetCommand).resolves({ Item: due });
    db.on(UpdateCommand).resolves({});

    await orderSweeper({}, lambdaContext('OrderSweeperFunction'));
    expect(named(lines, 'OrdersRejected')).toEqual([{ dimensions: { Reason: 'dead-lettered' }, values: [1], unit: 'Count' }]);
    expect(named(lines, 'TimeToFinalState')).toEqual([{ dimensions: { Outcome: 'rejected' }, values: [600_000], unit: 'Milliseconds' }]);
    expect(named(lines, 'OpenOrdersMovedOn')).toEqual([{ dimensions: { Action: 'announced' }, values: [1], unit: 'Count' }]);
    const perRun = Object.fromEntries(
      ['DeadLettersSeen', 'DeadLettersNamingNoOrder', 'OpenOrdersNotMovedOn', 'SweepsOutOfTime'].map((name) => [name, named(lines, name).map(({ values }) => values)]),
    );
    expect(perRun).toEqual({ DeadLettersSeen: [[2]], DeadLettersNamingNoOrder: [[1]], OpenOrdersNotMovedOn: [[0]], SweepsOutOfTime: [[0]] });
  });

  it('writes every line in the namespace and with the service its environment names', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    sqs.on(ReceiveMessageCommand).resolves({});
    await orderSweeper({}, lambdaContext('OrderSweeperFunction'));
    const written = metricsOf(measured());
    expect(written.length).toBeGreaterThan(0);
    for (const metric of written) expect({ namespace: metric.namespace, service: metric.dimensions.service }).toEqual({ namespace: 'order-capture', service: 'function-under-test' });
  });
});
