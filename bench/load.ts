// Part 3, throughput and latency: orders through the local stack's API, at steady rates (open
// loop: each order leaves at its scheduled time whatever the answers to the earlier ones) and in
// one burst of POST /orders. An order's time to a final state is read from the order itself: the
// write that makes it SHIPPED or REJECTED stamps `updatedAt`, on the same clock as the sender.
import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { OrderKeys } from './awsScale';
import type { Progress } from './progress';
import { percentile, round } from './stats';

export const CUSTOMERS = 500;
export const PRODUCTS = 200;
const FINAL = new Set(['SHIPPED', 'REJECTED']);
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Target {
  url: string;
  dynamoEndpoint: string;
  orderTable: string;
  accountTable: string;
  stockTable: string;
}

/** What the load reaches of a started stack: its API, DynamoDB Local and the three tables it reads back. */
export function targetOf(ready: { url: string; dynamoEndpoint: string; tables: Record<string, string | undefined> }): Target {
  return {
    url: ready.url,
    dynamoEndpoint: ready.dynamoEndpoint,
    orderTable: ready.tables.OrderTable ?? '',
    accountTable: ready.tables.AccountTable ?? '',
    stockTable: ready.tables.StockTable ?? '',
  };
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface StepResult {
  kind: 'steady' | 'burst';
  label: string;
  targetRate?: number;
  /** How long orders were being sent. */
  sendSeconds: number;
  orders: { sent: number; accepted: number; refused: Record<string, number>; final: number; shipped: number; rejected: number; stillOpen: number };
  apiRequests: number;
  productsPerOrder: number;
  /** Accepted orders per second of sending. */
  acceptedPerSecond: number;
  /**
   * Steady: orders reaching a final state per second inside the sending window, after its first
   * seconds (the pipeline filling up). Burst: all orders over the time from the first POST to
   * the last final state.
   */
  finalPerSecond: number;
  /** Accepted orders not yet final when the sending stopped, and how long the rest took after. */
  backlogAtEnd: number;
  drainSeconds: number;
  postToFinalMs: LatencySummary;
  apiMs: { p50: number; p99: number };
  /** How late the sender was against its schedule (its own limit, not the stack's). */
  senderLagMs: { p99: number; max: number };
  /** What the accepted orders named (left out of the results file). */
  keys: OrderKeys;
}

/** Notes what an accepted order named. */
function noteKeys(keys: OrderKeys, orderId: string, body: OrderBody): void {
  keys.orderIds.add(orderId);
  keys.customers.set(body.customerId, (keys.customers.get(body.customerId) ?? 0) + 1);
  for (const item of body.items) keys.products.set(item.productId, (keys.products.get(item.productId) ?? 0) + 1);
}

const noKeys = (): OrderKeys => ({ orderIds: new Set(), customers: new Map(), products: new Map() });

/** mulberry32: the same orders every run, so runs compare. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OrderBody {
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: number;
}

export function orderFactory(seed: number): () => OrderBody {
  const next = random(seed);
  const pick = (count: number) => Math.floor(next() * count);
  return () => {
    const products = new Set<number>();
    const wanted = 1 + pick(3);
    while (products.size < wanted) products.add(pick(PRODUCTS));
    return {
      customerId: `bench-customer-${pick(CUSTOMERS)}`,
      items: [...products].map((product) => ({ productId: `bench-product-${product}`, qty: 1 + pick(3) })),
      totalAmount: (100 + pick(9900)) / 100,
    };
  };
}

/** Accounts and stock large enough that every order ships, written straight into the tables. */
export async function seed(target: Target): Promise<void> {
  const db = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: target.dynamoEndpoint });
  const now = new Date().toISOString();
  const put = async (table: string, items: Record<string, AttributeValue>[]) => {
    for (let start = 0; start < items.length; start += 25) {
      let pending = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const { UnprocessedItems } = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = (UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  try {
    await put(target.accountTable, Array.from({ length: CUSTOMERS }, (_, index) => ({ customerId: { S: `bench-customer-${index}` }, balance: { N: '1000000000' }, updatedAt: { S: now } })));
    await put(target.stockTable, Array.from({ length: PRODUCTS }, (_, index) => ({ productId: { S: `bench-product-${index}` }, balance: { N: '1000000000' }, updatedAt: { S: now } })));
  } finally {
    db.destroy();
  }
}

interface Sent {
  /** Orders in the request, and the ids of those the API accepted. */
  orders: number;
  orderIds: string[];
  sentAt: number;
  apiMs: number;
  status: number;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

/**
 * Waits until every order is final (or `capSeconds` pass), reading statuses straight from the
 * order table, only for orders not yet seen final. Returns when each order became final.
 */
async function finalTimes(target: Target, orderIds: string[], capSeconds: number, onProgress: (open: number) => void): Promise<Map<string, { status: string; at: number }>> {
  const db = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: target.dynamoEndpoint });
  const finals = new Map<string, { status: string; at: number }>();
  let open = [...orderIds];
  const deadline = Date.now() + capSeconds * 1000;
  try {
    while (open.length > 0) {
      const chunks: string[][] = [];
      for (let start = 0; start < open.length; start += 100) chunks.push(open.slice(start, start + 100));
      for (let index = 0; index < chunks.length; index += 4) {
        await Promise.all(
          chunks.slice(index, index + 4).map(async (ids) => {
            let keys: Record<string, AttributeValue>[] = ids.map((orderId) => ({ orderId: { S: orderId } }));
            while (keys.length > 0) {
              const { Responses, UnprocessedKeys } = await db.send(
                new BatchGetItemCommand({
                  RequestItems: { [target.orderTable]: { Keys: keys, ProjectionExpression: 'orderId, #status, updatedAt', ExpressionAttributeNames: { '#status': 'status' } } },
                }),
              );
              for (const item of Responses?.[target.orderTable] ?? []) {
                const status = item.status?.S ?? '';
                if (FINAL.has(status)) finals.set(item.orderId?.S ?? '', { status, at: Date.parse(item.updatedAt?.S ?? '') });
              }
              keys = UnprocessedKeys?.[target.orderTable]?.Keys ?? [];
            }
          }),
        );
      }
      open = open.filter((orderId) => !finals.has(orderId));
      onProgress(open.length);
      if (open.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    db.destroy();
  }
  return finals;
}

function summarize(
  kind: StepResult['kind'],
  label: string,
  sent: Sent[],
  finals: Map<string, { status: string; at: number }>,
  window: { start: number; end: number },
  extra: { targetRate?: number; lag: number[]; productsPerOrder: number; keys: OrderKeys },
): StepResult {
  const accepted = sent.filter((request) => request.status === 202);
  const refused: Record<string, number> = {};
  for (const request of sent) {
    const reason = request.status === -1 ? 'shed' : request.status === 0 ? 'network error' : String(request.status);
    if (request.status !== 202) refused[reason] = (refused[reason] ?? 0) + request.orders;
  }
  const acceptedOrders = accepted.flatMap((request) => request.orderIds.map((orderId) => ({ orderId, sentAt: request.sentAt })));
  const latencies: number[] = [];
  let lastFinal = window.start;
  let shipped = 0;
  let backlogAtEnd = 0;
  let finalInSteadyWindow = 0;
  const sendSeconds = (window.end - window.start) / 1000;
  // The pipeline takes a moment to fill; its first seconds would understate a steady rate.
  const warmUpMs = Math.min(5000, (window.end - window.start) / 4);
  for (const order of acceptedOrders) {
    const final = finals.get(order.orderId);
    if (!final) {
      backlogAtEnd += 1;
      continue;
    }
    latencies.push(final.at - order.sentAt);
    lastFinal = Math.max(lastFinal, final.at);
    if (final.status === 'SHIPPED') shipped += 1;
    if (final.at > window.end) backlogAtEnd += 1;
    if (final.at >= window.start + warmUpMs && final.at <= window.end) finalInSteadyWindow += 1;
  }
  const sentOrders = sent.reduce((total, request) => total + request.orders, 0);
  const summary = (values: number[]): LatencySummary => ({ p50: round(percentile(values, 50), 0), p95: round(percentile(values, 95), 0), p99: round(percentile(values, 99), 0), max: round(Math.max(...values), 0) });
  const answered = sent.filter((request) => request.status !== -1);
  const apiMs = answered.map((request) => request.apiMs);
  const lastAnswer = Math.max(...answered.map((request) => request.sentAt + request.apiMs));
  return {
    kind,
    label,
    ...(extra.targetRate ? { targetRate: extra.targetRate } : {}),
    sendSeconds: round(sendSeconds, 1),
    orders: { sent: sentOrders, accepted: acceptedOrders.length, refused, final: finals.size, shipped, rejected: finals.size - shipped, stillOpen: acceptedOrders.length - finals.size },
    apiRequests: answered.length,
    productsPerOrder: extra.productsPerOrder,
    acceptedPerSecond: round(kind === 'steady' ? acceptedOrders.length / sendSeconds : acceptedOrders.length / ((lastAnswer - window.start) / 1000), 1),
    finalPerSecond: round(kind === 'steady' ? finalInSteadyWindow / ((window.end - window.start - warmUpMs) / 1000) : finals.size / ((lastFinal - window.start) / 1000), 1),
    backlogAtEnd,
    drainSeconds: round(Math.max(0, lastFinal - window.end) / 1000, 1),
    postToFinalMs: summary(latencies),
    apiMs: { p50: round(percentile(apiMs, 50), 0), p99: round(percentile(apiMs, 99), 0) },
    senderLagMs: { p99: round(percentile(extra.lag, 99), 0), max: round(Math.max(0, ...extra.lag), 0) },
    keys: extra.keys,
  };
}

/**
 * Orders a sender has out at most. Past it, an order due is shed, not sent (and counted as refused
 * with status "shed"): an open-loop sender facing a saturated API would otherwise pile up
 * thousands of waiting requests, and the run would measure its own queue for minutes.
 */
export const MAX_IN_FLIGHT = 256;

/** `rate` orders a second through POST /order for `seconds`, then waits for them to finish. */
export async function steadyLoad(target: Target, rate: number, seconds: number, drainCapSeconds: number, nextOrder: () => OrderBody, progress: Progress, title = 'Steady load'): Promise<StepResult> {
  const total = Math.round(rate * seconds);
  progress.phase(`${title}: ${rate} orders/s for ${seconds} s`, total);
  const sent: Sent[] = [];
  const keys = noKeys();
  const lag: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let products = 0;
  const start = Date.now();
  const clockStart = performance.now();
  const interval = 1000 / rate;
  let fired = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - clockStart) / interval) + 1);
      while (fired < due) {
        lag.push(performance.now() - clockStart - fired * interval);
        if (inFlight.size >= MAX_IN_FLIGHT) {
          sent.push({ orders: 1, orderIds: [], sentAt: Date.now(), apiMs: 0, status: -1 });
          fired += 1;
          continue;
        }
        const body = nextOrder();
        products += body.items.length;
        const sentAt = Date.now();
        const request = post(`${target.url}/order`, body)
          .then(
            ({ status, json }) => {
              const orderIds = status === 202 ? [String((json as { orderId?: unknown }).orderId)] : [];
              for (const orderId of orderIds) noteKeys(keys, orderId, body);
              sent.push({ orders: 1, orderIds, sentAt, apiMs: Date.now() - sentAt, status });
            },
            () => {
              sent.push({ orders: 1, orderIds: [], sentAt, apiMs: Date.now() - sentAt, status: 0 });
            },
          )
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
        fired += 1;
      }
      progress.update(fired, `${fired}/${total} sent, ${inFlight.size} awaiting an answer`);
      if (fired >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await Promise.all(inFlight);
  const end = Date.now();
  const orderIds = sent.flatMap((request) => request.orderIds);
  const finals = await finalTimes(target, orderIds, drainCapSeconds, (open) => progress.update(total, `waiting for ${open} orders to reach a final state`));
  const ordersSent = sent.filter((request) => request.status !== -1).length;
  return summarize('steady', `${rate} orders/s for ${seconds} s (POST /order)`, sent, finals, { start, end }, { targetRate: rate, lag, productsPerOrder: products / Math.max(1, ordersSent), keys });
}

/** `orders` orders at once through POST /orders, 25 to a request, `parallel` requests at a time. */
export async function burstLoad(target: Target, orders: number, drainCapSeconds: number, nextOrder: () => OrderBody, progress: Progress, parallel = 16): Promise<StepResult> {
  const requests = Math.ceil(orders / 25);
  progress.phase(`Burst: ${orders} orders through POST /orders`, requests);
  const bodies = Array.from({ length: requests }, (_, index) => ({ orders: Array.from({ length: Math.min(25, orders - index * 25) }, () => nextOrder()) }));
  const products = bodies.reduce((total, body) => total + body.orders.reduce((sum, order) => sum + order.items.length, 0), 0);
  const sent: Sent[] = [];
  const keys = noKeys();
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as (typeof bodies)[number];
        const sentAt = Date.now();
        try {
          const { status, json } = await post(`${target.url}/orders`, body);
          const ids = status === 202 ? ((json as { orders?: { orderId: string }[] }).orders ?? []).map((order) => order.orderId) : [];
          ids.forEach((orderId, index) => noteKeys(keys, orderId, body.orders[index] as OrderBody));
          sent.push({ orders: body.orders.length, orderIds: ids, sentAt, apiMs: Date.now() - sentAt, status });
        } catch {
          sent.push({ orders: body.orders.length, orderIds: [], sentAt, apiMs: Date.now() - sentAt, status: 0 });
        }
        progress.update(sent.length, `${sent.length}/${requests} requests answered`);
      }
    }),
  );
  const end = Date.now();
  const finals = await finalTimes(target, sent.flatMap((request) => request.orderIds), drainCapSeconds, (open) => progress.update(requests, `waiting for ${open} orders to reach a final state`));
  return summarize('burst', `burst of ${orders} orders (POST /orders, 25 a request, ${parallel} requests at a time)`, sent, finals, { start, end }, { lag: [0], productsPerOrder: products / orders, keys });
}
