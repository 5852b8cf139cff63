// Poison messages: a record that can never be handled (malformed, or failing every time) lands in
// its queue's dead-letter queue after MaxReceiveCount receives, without dragging the good records
// of its batch along; and an order whose message dead-lettered does not stay open forever: the
// sweeper, reading the dead-letter queues without consuming them, rejects it and its log names the
// queue. No order is rejected for having waited. The stack runs with short timings: a record that
// failed is retried after 3 s (longer than any batch takes, so a handled record is never received
// again), dead-lettered on its 3rd failure, and the sweeper first looks at an open order after 12 s.
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { formatCents, toCents } from '../../src/domain/money';
import type { Order } from '../../src/domain/order';
import { StackProcess } from './support/localStack';
import { allOrders, call, rejectedWithoutReason, setAccount, setStock, takeAll, waitForFinal, waitForQuiet } from './support/observe';
import { recordSummary } from './support/report';

const DEADLINE_SECONDS = 12;
const MAX_RECEIVE_COUNT = 3;
/** A DynamoDB partition key may have at most 2048 bytes: a message naming a longer one fails every time. */
const TOO_LONG_KEY = 'k'.repeat(3000);

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({
    name: 'poison-messages',
    parameters: { MaxReceiveCount: String(MAX_RECEIVE_COUNT), QueueVisibilityTimeoutSeconds: '3', OrderDeadlineSeconds: String(DEADLINE_SECONDS) },
    relaxedParameters: true,
  });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

/** Poison for each work queue: malformed four ways, and one well-formed message that fails every time it runs. */
const POISON: Record<string, string[]> = {
  BalanceCheckerQueue: [
    'not json {',
    '[]',
    '{"orderId":"poison-1"}',
    JSON.stringify({ orderId: 'poison-2', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '12.345' }),
    JSON.stringify({ orderId: 'poison-3', customerId: TOO_LONG_KEY, items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' }),
  ],
  StockCheckerQueue: [
    'not json {',
    '"an order"',
    JSON.stringify({ orderId: 'poison-4', customerId: 'c', items: [], totalAmount: '1.00' }),
    JSON.stringify({ orderId: 'poison-5', customerId: 'c', items: [{ productId: 'p', qty: 0 }], totalAmount: '1.00' }),
    JSON.stringify({ orderId: 'poison-6', customerId: 'c', items: [{ productId: TOO_LONG_KEY, qty: 1 }], totalAmount: '1.00' }),
  ],
  OrderUpdateQueue: [
    'not json {',
    '{}',
    JSON.stringify({ orderId: 'poison-7', check: 'PRICE', passed: true, detail: 'Price check passed' }),
    JSON.stringify({ orderId: 'poison-8', check: 'CREDIT', passed: 'yes', detail: 'Credit check passed' }),
    JSON.stringify({ orderId: TOO_LONG_KEY, check: 'CREDIT', passed: true, detail: 'Credit check passed' }),
  ],
  ShipOrderQueue: ['not json {', 'null', '{"orderId":42}', '{"order":"poison-9"}', JSON.stringify({ orderId: TOO_LONG_KEY })],
};

/** Good records for each queue, from orders that have already shipped: handled (and changing nothing), never dead-lettered. */
function goodRecords(queue: string, order: Order): string {
  const placed = { orderId: order.orderId, customerId: order.customerId, items: order.items, totalAmount: formatCents(order.totalCents) };
  if (queue === 'OrderUpdateQueue') return JSON.stringify({ orderId: order.orderId, check: 'STOCK', passed: true, detail: order.logs.find((line) => line.startsWith('Stock check passed')) });
  if (queue === 'ShipOrderQueue') return JSON.stringify({ orderId: order.orderId });
  return JSON.stringify(placed);
}

describe('poison messages on every work queue', () => {
  it('dead-letter after MaxReceiveCount receives while the good records of their batch are handled, and no order stays open', async () => {
    await setAccount(stack, 'payer', 1000);
    await setStock(stack, 'product', 100);
    // Data that makes every attempt to handle its orders fail: a credit balance that is not a
    // number, a stock balance that is not a number, and a product item so large that shipping's
    // update of it exceeds DynamoDB's 400 KB item limit.
    const db = stack.clients.db;
    await db.send(new PutCommand({ TableName: stack.table('AccountTable'), Item: { customerId: 'garbled-credit', balance: 'plenty', updatedAt: 'x' } }));
    await db.send(new PutCommand({ TableName: stack.table('StockTable'), Item: { productId: 'garbled-stock', balance: 'many', updatedAt: 'x' } }));
    const itemBytes = 'productId'.length + 'oversized'.length + 'balance'.length + 2 + 'padding'.length;
    await db.send(new PutCommand({ TableName: stack.table('StockTable'), Item: { productId: 'oversized', balance: 10, padding: 'x'.repeat(400 * 1024 - itemBytes) } }));

    const good = await call<{ orders: Order[] }>(stack, 'POST', '/orders', {
      orders: Array.from({ length: 5 }, (_, index) => ({ customerId: 'payer', items: [{ productId: 'product', qty: 1 + index }], totalAmount: [10.01, 20.02, 30.03, 40.04, 50.05][index] })),
    });
    const doomed = await call<{ orders: Order[] }>(stack, 'POST', '/orders', {
      orders: [
        { customerId: 'garbled-credit', items: [{ productId: 'product', qty: 1 }], totalAmount: 1 },
        { customerId: 'payer', items: [{ productId: 'garbled-stock', qty: 1 }], totalAmount: 2 },
        { customerId: 'payer', items: [{ productId: 'oversized', qty: 1 }], totalAmount: 3 },
      ],
    });
    expect([good.status, doomed.status]).toEqual([202, 202]);
    const goodIds = good.body.orders.map((order) => order.orderId);
    const [garbledCredit, garbledStock, oversized] = doomed.body.orders.map((order) => order.orderId) as [string, string, string];

    const shipped = await waitForFinal(stack, goodIds, 60_000);
    const goodOrders = goodIds.map((orderId) => shipped.get(orderId) as Order);
    expect(goodOrders.map((order) => order.status)).toEqual(Array(5).fill('SHIPPED'));

    // Each poison batch: the poison records and good ones interleaved, sent at once.
    const sentGood: Record<string, string[]> = {};
    for (const [queue, poison] of Object.entries(POISON)) {
      sentGood[queue] = goodOrders.map((order) => goodRecords(queue, order));
      const bodies = poison.flatMap((body, index) => [body, sentGood[queue]?.[index] ?? '']);
      const { Failed = [] } = await stack.clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: stack.queueUrl(queue), Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }),
      );
      expect(Failed).toEqual([]);
    }

    // The sweeper, run by hand (on AWS every minute), until the doomed orders are final.
    const orders = await waitForFinal(stack, [garbledCredit, garbledStock, oversized], 120_000, async () => {
      await stack.invoke('OrderSweeperFunction', { source: 'guarantees-test' });
    });
    expect(await waitForQuiet(stack, 30_000)).toBe(true);

    // Poison in the dead-letter queues, good records not, each queue's own.
    const dead: Record<string, string[]> = {};
    for (const queue of Object.keys(POISON)) {
      const messages = await takeAll(stack, stack.deadLetterQueueUrl(queue));
      dead[queue] = messages.map((message) => message.Body ?? '');
      // Each was tried MaxReceiveCount times before it was given up.
      for (const message of messages) expect(Number(message.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(MAX_RECEIVE_COUNT);
    }
    for (const [queue, poison] of Object.entries(POISON)) {
      expect({ queue, missing: poison.filter((body) => !dead[queue]?.includes(body)) }).toEqual({ queue, missing: [] });
      expect({ queue, goodDeadLettered: (sentGood[queue] ?? []).filter((body) => dead[queue]?.includes(body)) }).toEqual({ queue, goodDeadLettered: [] });
    }
    // The sweeper read them every time it ran and left them where they were. The sweeper may have
    // announced a doomed order again, or asked again for its shipment, before its dead letter was
    // read: its message then failed and was dead-lettered once more.
    const deadOrderIds = (queue: string) => new Set((dead[queue] ?? []).filter((body) => !POISON[queue]?.includes(body)).map((body) => (JSON.parse(body) as { orderId: string }).orderId));
    expect(deadOrderIds('BalanceCheckerQueue')).toEqual(new Set([garbledCredit]));
    expect(deadOrderIds('StockCheckerQueue')).toEqual(new Set([garbledStock]));
    expect(deadOrderIds('OrderUpdateQueue')).toEqual(new Set());
    expect(deadOrderIds('ShipOrderQueue')).toEqual(new Set([oversized]));

    // No order stays open, and each doomed one names the dead letter it was given up for.
    const deadLettered = (what: string) => `${what} failed ${MAX_RECEIVE_COUNT} times and its message was dead-lettered`;
    expect(orders.get(garbledCredit)).toMatchObject({ status: 'REJECTED', logs: expect.arrayContaining([`Rejected: its ${deadLettered('credit check')} (BalanceCheckerDeadLetterQueue)`]) });
    expect(orders.get(garbledStock)).toMatchObject({ status: 'REJECTED', logs: expect.arrayContaining([`Rejected: its ${deadLettered('stock check')} (StockCheckerDeadLetterQueue)`]) });
    expect(orders.get(oversized)).toMatchObject({
      status: 'REJECTED',
      logs: expect.arrayContaining(['Ready to ship: credit and stock checks passed', `Rejected at shipping: its ${deadLettered('shipment')} (ShipOrderDeadLetterQueue)`]),
    });
    const everyOrder = await allOrders(stack);
    expect([...everyOrder.values()].filter((order) => order.status === 'PENDING' || order.status === 'READY_TO_SHIP')).toEqual([]);
    expect(rejectedWithoutReason(everyOrder.values())).toEqual([]);

    // Each good order charged once, the doomed ones not at all.
    const charged = goodOrders.reduce((sum, order) => sum + order.totalCents, 0);
    const balance = async (path: string) => (await call<{ balance: number }>(stack, 'GET', path)).body.balance;
    expect(toCents(await balance('/account/payer'))).toBe(100_000 - charged);
    expect(await balance('/stock/product')).toBe(100 - goodOrders.reduce((sum, order) => sum + (order.items[0]?.qty ?? 0), 0));
    expect(await balance('/stock/oversized')).toBe(10);

    recordSummary('poison-messages', {
      poisonSent: Object.values(POISON).flat().length,
      goodRecordsSent: Object.values(sentGood).flat().length,
      deadLettered: Object.fromEntries(Object.entries(dead).map(([queue, bodies]) => [queue, bodies.length])),
      goodRecordsDeadLettered: 0,
      doomedOrders: 3,
      rejectedForDeadLetters: [garbledCredit, garbledStock, oversized].filter((orderId) => orders.get(orderId)?.status === 'REJECTED').length,
      rejectedWithoutReason: rejectedWithoutReason(everyOrder.values()).length,
    });
  }, 300_000);
});
