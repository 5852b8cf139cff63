import { newOrder, OrderStatus, type Order } from '../../../src/domain/order';
import { DeadLetterSource, SWEEP_SHARDS, sweepShardOf } from '../../../src/domain/sweep';
import {
  DEAD_LETTERS_PER_SWEEP,
  rejectDeadLettered,
  sweepDueOrders,
  type DeadLetterPorts,
  type DeadLetterSourceQueue,
  type DueOrderPorts,
  type SweptOrder,
} from '../../../src/usecases/sweepOrders';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const order = (orderId: string, fields: Partial<Order> = {}): Order => ({
  ...newOrder({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalCents: 100 }, orderId, ago(600)),
  ...fields,
});

/** An id no order can be read under (one no key can hold, or an item that is no order). */
const UNREADABLE = 'unreadable';
const failRead = (id: string): never => {
  throw new Error(`${id} cannot be read`);
};

describe('rejecting the orders that dead letters hold up', () => {
  const queue = (source: DeadLetterSource, name: string, bodies: string[]): DeadLetterSourceQueue & { limits: number[] } => {
    const limits: number[] = [];
    return { source, name, limits, peek: async (limit) => (limits.push(limit), bodies.map((body, index) => ({ messageId: `${name}-${index}`, body }))) };
  };
  function ports(orders: Order[]) {
    const table = new Map(orders.map((o) => [o.orderId, o]));
    const reads: string[][] = [];
    const rejections: { orderId: string; line: string }[] = [];
    const value: DeadLetterPorts = {
      getOrders: async (ids) => (reads.push(ids), { get: (id) => (id === UNREADABLE ? failRead(id) : table.get(id)) }),
      async rejectForDeadLetter(subject, line) {
        const found = table.get(subject.orderId);
        if (found?.status !== subject.status) return false;
        table.set(subject.orderId, { ...found, status: OrderStatus.Rejected });
        rejections.push({ orderId: subject.orderId, line });
        return true;
      },
    };
    return { value, reads, rejections, table };
  }
  const placed = (orderId: string) => JSON.stringify({ orderId, customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' });

  it('rejects a PENDING order whose credit check message was dead-lettered, naming the queue in its log', async () => {
    const { value, rejections } = ports([order('o-1')]);
    const report = await rejectDeadLettered([queue(DeadLetterSource.CreditCheck, 'BalanceCheckerDeadLetterQueue', [placed('o-1')])], value, { deliveries: 5 });
    expect(rejections).toEqual([{ orderId: 'o-1', line: 'Rejected: its credit check failed 5 times and its message was dead-lettered (BalanceCheckerDeadLetterQueue)' }]);
    expect(report.rejected).toEqual([{ orderId: 'o-1', messageId: 'BalanceCheckerDeadLetterQueue-0', queue: 'BalanceCheckerDeadLetterQueue', createdAt: ago(600) }]);
  });

  it('rejects a READY_TO_SHIP order whose shipment request was dead-lettered, at shipping', async () => {
    const { value, rejections } = ports([order('o-1', { status: OrderStatus.ReadyToShip })]);
    await rejectDeadLettered([queue(DeadLetterSource.Shipment, 'ShipOrderDeadLetterQueue', ['{"orderId":"o-1"}'])], value, { deliveries: 3 });
    expect(rejections.map((r) => r.line)).toEqual(['Rejected at shipping: its shipment failed 3 times and its message was dead-lettered (ShipOrderDeadLetterQueue)']);
  });

  it('leaves alone an order that has moved on since its message was dead-lettered (redriven, announced again)', async () => {
    const { value, rejections } = ports([order('o-1', { creditCheck: 'PASSED' }), order('o-2', { status: OrderStatus.Shipped })]);
    const report = await rejectDeadLettered(
      [queue(DeadLetterSource.CreditCheck, 'BalanceCheckerDeadLetterQueue', [placed('o-1')]), queue(DeadLetterSource.Shipment, 'ShipOrderDeadLetterQueue', ['{"orderId":"o-2"}'])],
      value,
      { deliveries: 5 },
    );
    expect(rejections).toEqual([]);
    expect(report.overtaken).toBe(2);
  });

  it('leaves alone, and reports, dead letters that name no order, or none that can be read, and goes on with the others', async () => {
    const { value, rejections } = ports([order('o-1')]);
    const bodies = ['not json {', '{"orderId":"nobody","check":"CREDIT"}', `{"orderId":"${UNREADABLE}","check":"CREDIT"}`, '{"orderId":"o-1","check":"CREDIT"}'];
    const report = await rejectDeadLettered([queue(DeadLetterSource.CheckResult, 'OrderUpdateDeadLetterQueue', bodies)], value, { deliveries: 5 });
    expect(rejections.map((r) => r.orderId)).toEqual(['o-1']);
    expect(report.namingNoOrder).toEqual([0, 1, 2].map((index) => ({ messageId: `OrderUpdateDeadLetterQueue-${index}`, queue: 'OrderUpdateDeadLetterQueue' })));
  });

  it('reads every order once, and writes only for the orders it rejects', async () => {
    const { value, reads, rejections } = ports([order('o-1'), order('o-2', { stockCheck: 'PASSED' })]);
    const report = await rejectDeadLettered(
      [
        queue(DeadLetterSource.CreditCheck, 'BalanceCheckerDeadLetterQueue', [placed('o-1')]),
        queue(DeadLetterSource.StockCheck, 'StockCheckerDeadLetterQueue', [placed('o-1'), placed('o-2')]),
      ],
      value,
      { deliveries: 5 },
    );
    expect(reads).toEqual([['o-1', 'o-2']]);
    expect(rejections.map((r) => r.orderId)).toEqual(['o-1']);
    expect(report.overtaken).toBe(2);
  });

  it(`reads at most ${DEAD_LETTERS_PER_SWEEP} dead letters of each queue per sweep`, async () => {
    const credit = queue(DeadLetterSource.CreditCheck, 'BalanceCheckerDeadLetterQueue', []);
    await rejectDeadLettered([credit], ports([]).value, { deliveries: 5 });
    expect(credit.limits).toEqual([DEAD_LETTERS_PER_SWEEP]);
  });
});

describe('moving on the open orders whose time has come', () => {
  function ports(swept: (SweptOrder & { shard?: string })[], failures: { announce?: boolean; unreadableShard?: string } = {}) {
    const table = new Map(swept.map((entry) => [entry.order.orderId, { ...entry }]));
    const calls = { announced: [] as string[], ready: [] as string[], shipping: [] as string[], postponed: [] as { orderId: string; seen: unknown; next: unknown }[], leftIndex: [] as string[], shardsRead: [] as string[] };
    const value: DueOrderPorts = {
      async *dueOrders(shard, now) {
        calls.shardsRead.push(shard);
        if (shard === failures.unreadableShard) throw new Error('throttled');
        for (const [orderId, entry] of table) if ((entry.shard ?? sweepShardOf(orderId)) === shard && entry.sweepAt && entry.sweepAt <= now) yield orderId;
      },
      getForSweep: async (orderId) => table.get(orderId),
      async markReadyToShip(orderId) {
        calls.ready.push(orderId);
        return true;
      },
      requestShipping: async (orders) => orders.map((shipped) => void calls.shipping.push(shipped.orderId)),
      async announceOrders(orders) {
        if (failures.announce) return { unannounced: orders, failure: new Error('SNS unavailable') };
        calls.announced.push(...orders.map((o) => o.orderId));
        return { unannounced: [] };
      },
      postponeSweep: async (orderId, seen, next) => (calls.postponed.push({ orderId, seen, next }), true),
      leaveSweepIndex: async (orderId) => (calls.leftIndex.push(orderId), true),
    };
    return { value, calls };
  }
  const options = { now: NOW, deadlineSeconds: 300, stopBy: Number.POSITIVE_INFINITY };

  it('announces again a PENDING order that misses a check result, and looks again a deadline later', async () => {
    const { value, calls } = ports([{ order: order('o-1', { creditCheck: 'PASSED' }), sweepAt: ago(5), nudges: 0 }]);
    const report = await sweepDueOrders(value, options);
    expect(calls.announced).toEqual(['o-1']);
    expect(calls.postponed).toEqual([{ orderId: 'o-1', seen: { status: 'PENDING', sweepAt: ago(5) }, next: { sweepAt: '2026-03-01T12:05:00.000Z', nudges: 1 } }]);
    expect(report.moved).toEqual([{ orderId: 'o-1', effect: 'announced' }]);
  });

  it('waits twice as long after each nudge', async () => {
    const { value, calls } = ports([{ order: order('o-1'), sweepAt: ago(5), nudges: 2 }]);
    await sweepDueOrders(value, options);
    expect(calls.postponed[0]?.next).toEqual({ sweepAt: '2026-03-01T12:20:00.000Z', nudges: 3 });
  });

  it('moves a PENDING order whose checks both passed on to READY_TO_SHIP and requests its shipment', async () => {
    const { value, calls } = ports([{ order: order('o-1', { creditCheck: 'PASSED', stockCheck: 'PASSED' }), sweepAt: ago(5), nudges: 0 }]);
    const report = await sweepDueOrders(value, options);
    expect([calls.ready, calls.shipping]).toEqual([['o-1'], ['o-1']]);
    expect(calls.postponed[0]?.seen).toEqual({ status: 'READY_TO_SHIP', sweepAt: ago(5) });
    expect(report.moved).toEqual([{ orderId: 'o-1', effect: 'marked-ready-to-ship' }]);
  });

  it('requests again the shipment of a READY_TO_SHIP order, never rejecting it for waiting', async () => {
    const { value, calls } = ports([{ order: order('o-1', { status: OrderStatus.ReadyToShip }), sweepAt: ago(86_400), nudges: 9 }]);
    await sweepDueOrders(value, options);
    expect(calls.shipping).toEqual(['o-1']);
    expect(calls.postponed[0]?.next).toEqual({ sweepAt: '2026-03-01T13:00:00.000Z', nudges: 10 });
  });

  it('takes a final order found in the index out of it, and nothing else', async () => {
    const { value, calls } = ports([{ order: order('o-1', { status: OrderStatus.Shipped }), sweepAt: ago(5), nudges: 0 }]);
    await sweepDueOrders(value, options);
    expect(calls).toMatchObject({ leftIndex: ['o-1'], announced: [], shipping: [], postponed: [] });
  });

  it('keeps an order it could not announce due, so the next run tries again, and sweeps the others', async () => {
    const { value, calls } = ports(
      [
        { order: order('o-1'), sweepAt: ago(5), nudges: 0 },
        { order: order('o-2', { status: OrderStatus.ReadyToShip }), sweepAt: ago(5), nudges: 0 },
      ],
      { announce: true },
    );
    const report = await sweepDueOrders(value, options);
    expect(report.failed.map((failure) => failure.orderId)).toEqual(['o-1']);
    expect(calls.postponed.map((p) => p.orderId)).toEqual(['o-2']);
    expect(calls.shipping).toEqual(['o-2']);
  });

  it('reads every shard of the index', async () => {
    const { value, calls } = ports([]);
    await sweepDueOrders(value, options);
    expect(new Set(calls.shardsRead).size).toBe(SWEEP_SHARDS);
  });

  it('starts no order after its stop time, leaving the rest to the next run', async () => {
    const { value, calls } = ports([{ order: order('o-1'), sweepAt: ago(5), nudges: 0 }]);
    const report = await sweepDueOrders(value, { ...options, stopBy: Date.now() - 1 });
    expect(calls.announced).toEqual([]);
    expect(report.unfinished).toBe(true);
  });

  it('fails the run when a shard cannot be read, after sweeping the others', async () => {
    const stuck = { order: order('o-1'), sweepAt: ago(5), nudges: 0 };
    const { value, calls } = ports([stuck], { unreadableShard: sweepShardOf('o-1') === '0' ? '1' : '0' });
    await expect(sweepDueOrders(value, options)).rejects.toThrow(new RegExp(`1 of ${SWEEP_SHARDS} sweep index shards could not be read`));
    expect(calls.announced).toEqual(['o-1']);
  });
});
