// Exactly-once effect under at-least-once delivery: every message type is delivered twice or more
// (each new order published twice on the topic and copied onto both checker queues, every check
// result repeated, shipping triggered again and again), check results arrive at the same instant,
// early (before the order was checked) and late (after it was shipped or rejected), and the same
// orders on the same stack end exactly as a run without any duplicate did.
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PublishCommand, SetSubscriptionAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { checkCredit, checkStock } from '../../src/domain/checks';
import { formatCents, type Cents } from '../../src/domain/money';
import type { CheckResult, Order } from '../../src/domain/order';
import { StackProcess, sleep } from './support/localStack';
import { accountBalances, call, deadLetters, lastLog, setAccount, setStock, stockBalances, waitForFinal, waitForQuiet } from './support/observe';
import { seededRandom } from './support/random';
import { recordSummary } from './support/report';
import { bySize } from './support/scale';

const SIZE = bySize({ sharedOrders: 10, ownOrders: 21 }, { sharedOrders: 50, ownOrders: 105 });

/** Orders with a customer and a product of their own, so that their check results are known in advance. */
const KINDS = ['ships', 'ships, using up credit and stock', 'short of credit', 'short of stock', 'no account', 'no product', 'short of both'] as const;

interface PlannedOrder {
  /** When both checks fail, which failure is recorded depends on which result arrives first. */
  eitherCheckFails?: boolean;
  customerId: string;
  productId: string;
  qty: number;
  totalCents: Cents;
  /** Each check result as its checker would send it (for orders with their own customer and product). */
  results?: CheckResult[];
}

interface Plan {
  accounts: Map<string, Cents>;
  stock: Map<string, number>;
  orders: PlannedOrder[];
}

/** The same scenario under another id prefix: its outcome does not depend on the order in which things happen. */
function plan(prefix: string): Plan {
  const random = seededRandom(31_337);
  const accounts = new Map<string, Cents>();
  const stock = new Map<string, number>();
  // Orders of one customer on one product, whose credit and stock cover exactly all of them.
  const shared = Array.from({ length: SIZE.sharedOrders }, () => ({ customerId: `${prefix}-shared`, productId: `${prefix}-shared-product`, qty: random.int(1, 4), totalCents: random.int(1, 20_000) }));
  accounts.set(`${prefix}-shared`, shared.reduce((sum, order) => sum + order.totalCents, 0));
  stock.set(`${prefix}-shared-product`, shared.reduce((sum, order) => sum + order.qty, 0));

  const own = Array.from({ length: SIZE.ownOrders }, (_, index): PlannedOrder => {
    const kind = KINDS[index % KINDS.length];
    const order = { customerId: `${prefix}-customer-${index}`, productId: `${prefix}-product-${index}`, qty: random.int(1, 5), totalCents: random.int(1, 50_000) };
    const credit = kind === 'ships' ? order.totalCents + random.int(1, 10_000) : kind === 'short of credit' || kind === 'short of both' ? order.totalCents - 1 : order.totalCents;
    const units = kind === 'ships' ? order.qty + random.int(1, 10) : kind === 'short of stock' || kind === 'short of both' ? order.qty - 1 : order.qty;
    if (kind !== 'no account') accounts.set(order.customerId, credit);
    if (kind !== 'no product') stock.set(order.productId, units);
    const identity = { orderId: '', customerId: order.customerId, items: [{ productId: order.productId, qty: order.qty }], totalCents: order.totalCents };
    const stockMap = new Map(stock.has(order.productId) ? [[order.productId, units]] : []);
    return { ...order, eitherCheckFails: kind === 'short of both', results: [checkCredit(identity, accounts.get(order.customerId)), checkStock(identity, stockMap)] };
  });
  return { accounts, stock, orders: [...shared, ...own] };
}

let stack: StackProcess;

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'duplicates', transactionConflicts: true });
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

const withOrderId = (result: CheckResult, orderId: string): string => JSON.stringify({ ...result, orderId });

async function sendAll(queue: string, bodies: string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
    const { Failed = [] } = await stack.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: stack.queueUrl(queue), Entries: entries }));
    if (Failed.length > 0) throw new Error(`could not send to ${queue}: ${JSON.stringify(Failed)}`);
  }
}

/**
 * Listens on the order topic through a queue of its own and publishes every new order a second
 * time as it appears, so both checkers get each order twice, moments apart.
 */
async function republishOrders(tapUrl: string, orderIds: () => string[], timeoutMs: number): Promise<number> {
  const republished = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const expected = orderIds();
    if (expected.length > 0 && expected.every((orderId) => republished.has(orderId))) break;
    const { Messages = [] } = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: tapUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const message of Messages) {
      const { orderId } = JSON.parse(message.Body ?? '{}') as { orderId: string };
      if (republished.has(orderId)) continue;
      republished.add(orderId);
      await stack.clients.sns.send(new PublishCommand({ TopicArn: stack.topicArn('OrderTopic'), Message: message.Body }));
    }
    if (Messages.length > 0) {
      await stack.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: tapUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
    }
  }
  return republished.size;
}

async function tapOrderTopic(): Promise<string> {
  const { QueueUrl } = await stack.clients.sqs.send(new CreateQueueCommand({ QueueName: 'guarantees-order-topic-tap' }));
  const { Attributes } = await stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const { SubscriptionArn } = await stack.clients.sns.send(
    new SubscribeCommand({ TopicArn: stack.topicArn('OrderTopic'), Protocol: 'sqs', Endpoint: Attributes?.QueueArn, ReturnSubscriptionArn: true }),
  );
  await stack.clients.sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }));
  return QueueUrl as string;
}

/** An order as the API answers it. */
interface OrderView {
  orderId: string;
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: number;
}

interface Outcome {
  orders: Order[];
  /** Per planned order: its status and its last log line, with the run's prefix taken out. */
  endings: string[];
  balances: string[];
  messagesSent: number;
}

async function run(prefix: string, duplicate: boolean): Promise<Outcome> {
  const scenario = plan(prefix);
  for (const [customerId, cents] of scenario.accounts) await setAccount(stack, customerId, Number(formatCents(cents)));
  for (const [productId, units] of scenario.stock) await setStock(stack, productId, units);
  const tapUrl = duplicate ? await tapOrderTopic() : '';
  let messagesSent = 0;

  let orderIds: string[] = [];
  const republishing = duplicate ? republishOrders(tapUrl, () => orderIds, 120_000) : Promise.resolve(0);
  const replies = await Promise.all(
    scenario.orders.map((order) => call<OrderView>(stack, 'POST', '/order', { customerId: order.customerId, items: [{ productId: order.productId, qty: order.qty }], totalAmount: Number(formatCents(order.totalCents)) })),
  );
  expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 202));
  orderIds = replies.map((reply) => reply.body.orderId);

  if (duplicate) {
    // Early: shipping triggered before any check, and the known check results sent twice each,
    // both checks at the same instant (one batch), racing the checkers' own.
    await sendAll('ShipOrderQueue', orderIds.map((orderId) => JSON.stringify({ orderId })));
    const early = scenario.orders.flatMap((order, index) => (order.results ?? []).flatMap((result) => [withOrderId(result, orderIds[index] ?? ''), withOrderId(result, orderIds[index] ?? '')]));
    await sendAll('OrderUpdateQueue', early);
    // Each new order straight onto both checker queues too (a third delivery).
    const placed = replies.map((reply) => JSON.stringify({ orderId: reply.body.orderId, customerId: reply.body.customerId, items: reply.body.items, totalAmount: formatCents(Math.round(reply.body.totalAmount * 100)) }));
    await sendAll('BalanceCheckerQueue', placed);
    await sendAll('StockCheckerQueue', placed);
    messagesSent += orderIds.length + early.length + 2 * placed.length;
  }

  messagesSent += await republishing;
  let orders = await waitForFinal(stack, orderIds, 180_000);

  if (duplicate) {
    // Late: after every order is final, all of it again. The check results each order's log
    // shows (passed ones for orders rejected on the other check among them), both at once and
    // twice; the new orders to both checkers again (whose results now differ: the credit and stock
    // are gone); and shipping, twice.
    const late = orderIds.flatMap((orderId, index) => {
      const order = orders.get(orderId) as Order;
      const known = scenario.orders[index]?.results?.map((result) => withOrderId(result, orderId)) ?? [];
      const logged = order.logs
        .filter((line) => /^(Credit|Stock) check passed/.test(line))
        .map((detail) => JSON.stringify({ orderId, check: detail.startsWith('Credit') ? 'CREDIT' : 'STOCK', passed: true, detail }));
      const results = [...new Set([...known, ...logged])];
      return [...results, ...results];
    });
    await sendAll('OrderUpdateQueue', late);
    const placedAgain = orderIds.map((orderId) => {
      const order = orders.get(orderId) as Order;
      return JSON.stringify({ orderId, customerId: order.customerId, items: order.items, totalAmount: formatCents(order.totalCents) });
    });
    await sendAll('BalanceCheckerQueue', placedAgain);
    await sendAll('StockCheckerQueue', placedAgain);
    await sendAll('ShipOrderQueue', orderIds.flatMap((orderId) => [JSON.stringify({ orderId }), JSON.stringify({ orderId })]));
    messagesSent += late.length + 2 * placedAgain.length + 2 * orderIds.length;
    await sleep(1000);
  }
  expect(await waitForQuiet(stack, 120_000)).toBe(true);
  orders = await waitForFinal(stack, orderIds, 10_000);

  const accounts = await accountBalances(stack);
  const stock = await stockBalances(stack);
  const placedOrders = orderIds.map((orderId) => orders.get(orderId) as Order);
  const strip = (text: string) => text.replaceAll(`${prefix}-`, '');
  return {
    orders: placedOrders,
    endings: placedOrders.map((order, index) =>
      scenario.orders[index]?.eitherCheckFails && /^(Credit|Stock) check failed/.test(lastLog(order)) ? `${order.status}: credit or stock check failed` : strip(`${order.status}: ${lastLog(order)}`),
    ),
    balances: [
      ...[...scenario.accounts.keys()].map((customerId) => strip(`${customerId} ${formatCents(accounts.get(customerId) ?? -1)}`)),
      ...[...scenario.stock.keys()].map((productId) => strip(`${productId} ${stock.get(productId) ?? -1}`)),
    ],
    messagesSent,
  };
}

describe('every message delivered twice or more, early, late and at the same instant', () => {
  it('ends every order and every balance exactly as the same orders without duplicates', async () => {
    const plain = await run('plain', false);
    const duplicated = await run('dup', true);

    expect(duplicated.endings).toEqual(plain.endings);
    expect(duplicated.balances).toEqual(plain.balances);

    // And that ending is the one the scenario was built for.
    const expected = [...Array(SIZE.sharedOrders).fill('SHIPPED'), ...Array.from({ length: SIZE.ownOrders }, (_, index) => (index % KINDS.length < 2 ? 'SHIPPED' : 'REJECTED'))];
    expect(plain.orders.map((order) => order.status)).toEqual(expected);
    expect(plain.balances.filter((line) => line.startsWith('shared'))).toEqual(['shared 0.00', 'shared-product 0']);

    // Exactly once: no log line twice, one result per check at most, one shipment per shipped order.
    for (const order of duplicated.orders) {
      expect({ orderId: order.orderId, repeated: order.logs.filter((line, index) => order.logs.indexOf(line) !== index) }).toEqual({ orderId: order.orderId, repeated: [] });
      expect(order.logs.filter((line) => line.startsWith('Credit check')).length).toBeLessThanOrEqual(1);
      expect(order.logs.filter((line) => line.startsWith('Stock check')).length).toBeLessThanOrEqual(1);
      expect(order.logs.filter((line) => line.startsWith('Shipped')).length).toBe(order.status === 'SHIPPED' ? 1 : 0);
    }
    const dead = Object.values(await deadLetters(stack)).flat();
    expect(dead.map((message) => message.Body)).toEqual([]);

    const count = (outcome: Outcome, status: string) => outcome.orders.filter((order) => order.status === status).length;
    recordSummary('duplicates', {
      ordersPerRun: plain.orders.length,
      extraMessagesSent: duplicated.messagesSent,
      plain: { shipped: count(plain, 'SHIPPED'), rejected: count(plain, 'REJECTED') },
      duplicated: { shipped: count(duplicated, 'SHIPPED'), rejected: count(duplicated, 'REJECTED') },
      endingsDiffering: duplicated.endings.filter((ending, index) => ending !== plain.endings[index]).length,
      balancesDiffering: duplicated.balances.filter((balance, index) => balance !== plain.balances[index]).length,
      transactionConflicts: await stack.transactionConflicts(),
      deadLetters: dead.length,
    });
  }, 600_000);
});
