// The workload of one seed, drawn as a plan (the same seed gives the same plan) and then played
// against a stack by concurrent clients, each recording every answer it got:
//   - clients with an Idempotency-Key, on POST /order and POST /orders, who retry the same key and
//     body through 5xx, 429, 409 "still being processed" and their own timeouts until a 202, and
//     some of whom send it once more after their 202;
//   - clients without a key, who send once and take what they get;
//   - top-ups of credit and stock with If-Match, racing the shipments that charge the same items
//     (re-read and retried on 412);
//   - in a seed with a long outage, a redrive of its dead-letter queue part-way.
// Credit and stock are scarce for some customers and products, so some orders are refused for
// business reasons; a few orders name a customer with no account or a product that does not exist.
import { LOAD_SECONDS, LOAD_START, type FaultSchedule } from './faultSchedule';
import { redrive, send, sleep, seededRandom, type Answer, type StackProcess } from './stack';

export interface OrderBody {
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: number;
}

export interface PlacementPlan {
  kind: 'placement';
  /** Milliseconds after the load starts. */
  at: number;
  path: '/order' | '/orders';
  orders: OrderBody[];
  key?: string;
  /** How long the client waits for an answer before it gives up on that attempt. */
  patienceMs: number;
  /** Sends the same key and body once more after its 202. */
  repeatAfterAccepted: boolean;
}

export interface TopUpPlan {
  kind: 'top-up';
  at: number;
  route: 'account' | 'stock';
  id: string;
  /** Cents of credit or units of stock. */
  amount: number;
}

export interface Plan {
  seed: number;
  /** Opening credit in cents, by customerId. */
  credit: Record<string, number>;
  /** Opening stock in units, by productId. */
  stock: Record<string, number>;
  actions: (PlacementPlan | TopUpPlan)[];
}

/** A seed's workload: its own stream of the seed, so that the fault schedule's draws do not shift it. */
export function drawPlan(seed: number, { placements = 70, topUps = 30 } = {}): Plan {
  const random = seededRandom(seed * 7919 + 1);
  const customers = Array.from({ length: 6 }, (_, index) => `n${seed}-customer-${index}`);
  const products = Array.from({ length: 4 }, (_, index) => `n${seed}-product-${index}`);
  // A third of the customers and a quarter of the products can afford a few orders only.
  const credit = Object.fromEntries(customers.map((id, index) => [id, index % 3 === 0 ? random.int(5_000, 20_000) : 10_000_000]));
  const stock = Object.fromEntries(products.map((id, index) => [id, index % 4 === 0 ? random.int(8, 20) : 100_000]));
  const ghostCustomer = `n${seed}-customer-without-account`;
  const ghostProduct = `n${seed}-product-never-stocked`;
  // Every order's total is unique in the seed, so that an order stored without a 202 can be traced to its request.
  const totals = new Set<number>();
  const order = (): OrderBody => {
    let cents = random.int(500, 6_000);
    while (totals.has(cents)) cents++;
    totals.add(cents);
    const items = random
      .shuffle(products)
      .slice(0, random.int(1, 2))
      .map((productId) => ({ productId: random.next() < 0.03 ? ghostProduct : productId, qty: random.int(1, 3) }))
      // The API refuses one product twice in an order: a second never-stocked product is left out.
      .filter((item, index, all) => all.findIndex((other) => other.productId === item.productId) === index);
    return { customerId: random.next() < 0.05 ? ghostCustomer : random.pick(customers), items, totalAmount: cents / 100 };
  };
  const at = () => random.int(0, LOAD_SECONDS * 1000 - 1);
  const actions: Plan['actions'] = [];
  for (let index = 0; index < placements; index++) {
    const batch = random.next() < 0.3;
    const keyed = random.next() < 0.7;
    actions.push({
      kind: 'placement',
      at: at(),
      path: batch ? '/orders' : '/order',
      orders: Array.from({ length: batch ? random.int(2, 5) : 1 }, order),
      ...(keyed ? { key: `n${seed}-key-${index}` } : {}),
      patienceMs: random.int(2_000, 12_000),
      repeatAfterAccepted: keyed && random.next() < 0.25,
    });
  }
  for (let index = 0; index < topUps; index++) {
    const onCredit = random.next() < 0.5;
    actions.push(
      onCredit
        ? { kind: 'top-up', at: at(), route: 'account', id: random.pick(customers), amount: random.int(1_000, 8_000) }
        : { kind: 'top-up', at: at(), route: 'stock', id: random.pick(products), amount: random.int(1, 6) },
    );
  }
  return { seed, credit, stock, actions: actions.sort((a, b) => a.at - b.at) };
}

/** What a client saw, attempt by attempt. */
export interface Seen {
  status: Answer['status'];
  orderIds?: string[];
  message?: string;
}

export interface PlacementRecord {
  plan: PlacementPlan;
  attempts: Seen[];
  /** The attempts after the first 202 (the deliberate repeat and its retries). */
  repeats: Seen[];
}

/** One conditional write: 200 (took effect), 412 (did not, the contract says) or unknown (5xx, the client's timeout). */
export interface TopUpRecord {
  route: TopUpPlan['route'];
  id: string;
  amount: number;
  outcome: 'applied' | 'stale' | 'unknown' | 'refused';
  status: Answer['status'];
}

export interface History {
  placements: PlacementRecord[];
  topUps: TopUpRecord[];
  redrives: string[];
}

const isServerSide = (status: Answer['status']) => typeof status !== 'number' || status >= 500 || status === 429;
const stillInProgress = (answer: Answer) => answer.status === 409 && /still being processed/.test(answer.text ?? '');
const orderIdsOf = (answer: Answer): string[] | undefined => {
  if (answer.status !== 202 || !answer.body) return undefined;
  const orders = Array.isArray(answer.body.orders) ? (answer.body.orders as { orderId: string }[]) : [answer.body as { orderId: string }];
  return orders.map((order) => String(order.orderId));
};
const seen = (answer: Answer): Seen => ({
  status: answer.status,
  ...(orderIdsOf(answer) ? { orderIds: orderIdsOf(answer) } : {}),
  ...(answer.status !== 202 ? { message: String(answer.body?.message ?? answer.text ?? '').slice(0, 200) } : {}),
});

/** A keyed client retries until a 202 or a 4xx that is an answer (or until `giveUpAt`); an unkeyed one sends once. */
async function place(stack: StackProcess, plan: PlacementPlan, giveUpAt: number): Promise<PlacementRecord> {
  const body = plan.path === '/orders' ? { orders: plan.orders } : plan.orders[0];
  const headers: Record<string, string> = plan.key ? { 'Idempotency-Key': plan.key } : {};
  const attempt = () => send(stack, 'POST', plan.path, { body, headers, timeoutMs: plan.patienceMs });
  const untilAnswered = async (into: Seen[]) => {
    for (let tries = 0; ; tries++) {
      const answer = await attempt();
      into.push(seen(answer));
      if (!plan.key || !(isServerSide(answer.status) || stillInProgress(answer)) || Date.now() > giveUpAt) return answer;
      await sleep(Math.min(250 * 2 ** tries, 4_000));
    }
  };
  const record: PlacementRecord = { plan, attempts: [], repeats: [] };
  const answer = await untilAnswered(record.attempts);
  if (answer.status === 202 && plan.repeatAfterAccepted) await untilAnswered(record.repeats);
  return record;
}

/** Reads the balance and its ETag, then writes balance + amount with If-Match; on 412 reads again, up to 10 writes. */
async function topUp(stack: StackProcess, plan: TopUpPlan, into: TopUpRecord[]): Promise<void> {
  const field = plan.route === 'account' ? 'customerId' : 'productId';
  const scale = plan.route === 'account' ? 100 : 1;
  for (let write = 0; write < 10; write++) {
    let read: Answer | undefined;
    // A read changes nothing: retried through any outage the schedule holds (each shorter than a minute).
    for (let tries = 0; tries < 120 && read?.status !== 200; tries++) {
      if (tries > 0) await sleep(500);
      read = await send(stack, 'GET', `/${plan.route}/${plan.id}`);
    }
    if (read?.status !== 200) throw new Error(`GET /${plan.route}/${plan.id} never answered 200: ${String(read?.status)} ${read?.text ?? ''}`);
    const current = Math.round(Number(read.body?.balance) * scale);
    const answer = await send(stack, 'POST', `/${plan.route}`, {
      body: { [field]: plan.id, balance: (current + plan.amount) / scale },
      headers: { 'If-Match': read.headers?.get('etag') ?? '' },
      timeoutMs: 10_000,
    });
    const outcome = answer.status === 200 ? 'applied' : answer.status === 412 ? 'stale' : answer.status === 429 ? 'refused' : isServerSide(answer.status) ? 'unknown' : 'refused';
    into.push({ route: plan.route, id: plan.id, amount: plan.amount, outcome, status: answer.status });
    if (outcome === 'applied' || outcome === 'refused') return;
    await sleep(200);
  }
}

/** Plays the plan from `start` (epoch ms), with the schedule's redrive at its time; resolves when every client is done. */
export async function play(stack: StackProcess, plan: Plan, schedule: FaultSchedule, ready: number): Promise<History> {
  const start = ready + LOAD_START * 1000;
  const giveUpAt = start + LOAD_SECONDS * 1000 + 240_000;
  const history: History = { placements: [], topUps: [], redrives: [] };
  const at = (ms: number) => sleep(Math.max(0, ms - Date.now()));
  const clients = plan.actions.map(async (action) => {
    await at(start + action.at);
    if (action.kind === 'placement') history.placements.push(await place(stack, action, giveUpAt));
    else await topUp(stack, action, history.topUps);
  });
  const { longOutage } = schedule;
  if (longOutage) {
    clients.push(
      (async () => {
        await at(ready + longOutage.redriveAt * 1000);
        history.redrives.push(`${longOutage.deadLetterQueue}: ${await redrive(stack, longOutage.deadLetterQueue)}`);
      })(),
    );
  }
  await Promise.all(clients);
  return history;
}

/** Opens every account and stock item (no If-Match: last writer wins, and a repeat is harmless), retried through 5xx. */
export async function openBooks(stack: StackProcess, plan: Plan): Promise<void> {
  const set = async (route: string, body: object) => {
    for (let tries = 0; tries < 30; tries++) {
      const answer = await send(stack, 'POST', route, { body });
      if (answer.status === 200) return;
      await sleep(300);
    }
    throw new Error(`POST ${route} ${JSON.stringify(body)} never answered 200`);
  };
  await Promise.all([
    ...Object.entries(plan.credit).map(([customerId, cents]) => set('/account', { customerId, balance: cents / 100 })),
    ...Object.entries(plan.stock).map(([productId, units]) => set('/stock', { productId, balance: units })),
  ]);
}
