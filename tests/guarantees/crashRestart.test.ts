// Crash and restart: with its data kept on disk (`npm start -- --persist DIR`), the whole stack is
// killed with SIGKILL (every process, DynamoDB Local's JVM included) while a few hundred orders are
// being placed and processed, and started again on the same data. Every order that was answered
// 202 reaches a final state, and the balances agree with what shipped.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Order } from '../../src/domain/order';
import { GUARANTEES_DIR, StackProcess } from './support/localStack';
import { accountBalances, allOrders, call, deadLetters, rejectedWithoutReason, setAccount, setStock, stockBalances, waitForFinal, waitForQuiet } from './support/observe';
import { seededRandom } from './support/random';
import { recordSummary } from './support/report';
import { bySize } from './support/scale';

const SIZE = bySize({ orders: 300, crashes: 1 }, { orders: 1000, crashes: 3 });
const CUSTOMERS = 20;
const PRODUCTS = 5;
const IN_FLIGHT = 16;
const PERSIST_DIR = join(GUARANTEES_DIR, 'crash-restart', 'data');
/** A failed record is retried after 10 s (the template's lowest): what a crash left in flight comes back that soon. */
const PARAMETERS = { QueueVisibilityTimeoutSeconds: '10' };

interface PlannedOrder {
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: number;
}

const random = seededRandom(404);
const credit = new Map(Array.from({ length: CUSTOMERS }, (_, index) => [`customer-${index}`, random.int(20_000, 80_000)] as const));
const stockAtStart = new Map(Array.from({ length: PRODUCTS }, (_, index) => [`product-${index}`, random.int(100, 200)] as const));
const planned: PlannedOrder[] = Array.from({ length: SIZE.orders }, () => ({
  customerId: `customer-${random.int(0, CUSTOMERS - 1)}`,
  items: random.shuffle([...stockAtStart.keys()]).slice(0, random.int(1, 2)).map((productId) => ({ productId, qty: random.int(1, 3) })),
  totalAmount: random.int(100, 9_999) / 100,
}));

let stack: StackProcess | undefined;

afterAll(() => stack?.stop(), 60_000);

/** Places orders from `next`, a few at a time, until all are placed or `stopped()`; returns how many got no 202. */
async function placeOrders(next: () => PlannedOrder | undefined, stopped: () => boolean, accepted: string[]): Promise<number> {
  let failed = 0;
  const lane = async () => {
    for (let order = stopped() ? undefined : next(); order; order = stopped() ? undefined : next()) {
      try {
        const reply = await call<{ orderId: string }>(stack as StackProcess, 'POST', '/order', order);
        if (reply.status === 202) accepted.push(reply.body.orderId);
        else failed++;
      } catch {
        // The stack was killed under this request: no answer, so not accepted.
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return failed;
}

describe(`${SIZE.orders} orders with ${SIZE.crashes} hard kill(s) of the whole stack in the middle`, () => {
  it('brings every accepted order to a final state after a restart, and the balances agree with what shipped', async () => {
    rmSync(PERSIST_DIR, { recursive: true, force: true });
    const start = (run: number) => StackProcess.start({ name: `crash-restart-${run}`, parameters: PARAMETERS, persistDir: PERSIST_DIR });
    stack = await start(0);
    for (const [customerId, cents] of credit) await setAccount(stack, customerId, cents / 100);
    for (const [productId, units] of stockAtStart) await setStock(stack, productId, units);

    const queue = [...planned];
    const next = () => queue.shift();
    const accepted: string[] = [];
    let unanswered = 0;
    const killedAfter: number[] = [];
    for (let crash = 1; crash <= SIZE.crashes; crash++) {
      // Killed while orders are still arriving and being processed: the requests in flight die with it.
      let killed = false;
      const placing = placeOrders(next, () => killed, accepted);
      const killAt = Math.floor((crash * SIZE.orders) / (SIZE.crashes + 1));
      while (accepted.length < killAt && queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      killed = true;
      await stack.kill();
      killedAfter.push(accepted.length);
      unanswered += await placing;
      stack = await start(crash);
    }
    unanswered += await placeOrders(next, () => false, accepted);

    const orders = await waitForFinal(stack, accepted, 300_000);
    expect(accepted.filter((orderId) => !['SHIPPED', 'REJECTED'].includes(orders.get(orderId)?.status ?? 'missing')).map((orderId) => `${orderId} ${orders.get(orderId)?.status ?? 'missing'}`)).toEqual([]);
    expect(await waitForQuiet(stack, 120_000)).toBe(true);

    // Balances agree with every order that shipped, the accepted ones and any whose answer the crash swallowed.
    const everyOrder = [...(await allOrders(stack)).values()];
    const shipped = everyOrder.filter((order) => order.status === 'SHIPPED');
    const accounts = await accountBalances(stack);
    const stock = await stockBalances(stack);
    for (const [customerId, cents] of credit) {
      const charged = shipped.filter((order) => order.customerId === customerId).reduce((sum, order) => sum + order.totalCents, 0);
      expect({ customerId, balance: accounts.get(customerId) }).toEqual({ customerId, balance: cents - charged });
    }
    for (const [productId, units] of stockAtStart) {
      const taken = shipped.flatMap((order) => order.items).filter((item) => item.productId === productId).reduce((sum, item) => sum + item.qty, 0);
      expect({ productId, balance: stock.get(productId) }).toEqual({ productId, balance: units - taken });
    }
    for (const balance of [...accounts.values(), ...stock.values()]) expect(balance).toBeGreaterThanOrEqual(0);
    for (const order of shipped) expect(order.logs.filter((line) => line.startsWith('Shipped'))).toHaveLength(1);
    // A crash is no business reason: every rejection states one.
    expect(rejectedWithoutReason(everyOrder).map((order) => `${order.orderId}: ${order.logs.at(-1) ?? ''}`)).toEqual([]);
    expect(Object.values(await deadLetters(stack)).flat().map((message) => message.Body)).toEqual([]);

    const acceptedSet = new Set(accepted);
    const unacknowledged: Order[] = everyOrder.filter((order) => !acceptedSet.has(order.orderId));
    recordSummary('crash-restart', {
      orders: SIZE.orders,
      crashes: SIZE.crashes,
      killedAfterAccepted: killedAfter,
      accepted: accepted.length,
      unanswered,
      acceptedFinal: accepted.filter((orderId) => ['SHIPPED', 'REJECTED'].includes(orders.get(orderId)?.status ?? '')).length,
      shipped: shipped.length,
      rejected: everyOrder.filter((order) => order.status === 'REJECTED').length,
      storedWithoutAnswer: Object.fromEntries(['PENDING', 'READY_TO_SHIP', 'SHIPPED', 'REJECTED'].map((status) => [status, unacknowledged.filter((order) => order.status === status).length])),
    });
  }, 900_000);
});
