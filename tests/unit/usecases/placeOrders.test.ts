import type { Order, OrderRequest } from '../../../src/domain/order';
import { IdempotencyKeyReusedError, OrdersNotStoredError, placeOrders, type OrderPlacementPorts, type StoreOutcome } from '../../../src/usecases/placeOrders';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const request = (customerId: string, totalCents = 100): OrderRequest => ({ customerId, items: [{ productId: 'p', qty: 1 }], totalCents });

/** Ports over an in-memory table and topic; each step can be made to fail. */
function fakePorts(options: { storeFails?: boolean; withdrawFails?: boolean; announceFails?: (order: Order) => boolean; sweepSoonFails?: boolean; existing?: Order[] } = {}) {
  const table = new Map((options.existing ?? []).map((order) => [order.orderId, order]));
  const calls = { stored: [] as { orders: Order[]; sweepAt: string; deadline: number }[], withdrawn: [] as string[], announced: [] as string[], sweptSoon: [] as string[], announceDeadline: 0 };
  const ports: OrderPlacementPorts = {
    now: () => NOW,
    orderId: (index) => `o-${index}`,
    async storeNewOrders(orders, sweepAt, { deadline }): Promise<StoreOutcome> {
      calls.stored.push({ orders, sweepAt, deadline });
      if (options.storeFails) throw new Error('connection reset after the request was sent');
      if (orders.some((order) => table.has(order.orderId))) return { stored: false, found: orders.map((order) => table.get(order.orderId)) };
      for (const order of orders) table.set(order.orderId, order);
      return { stored: true };
    },
    async withdrawOrders(orders) {
      if (options.withdrawFails) throw new Error('DynamoDB unreachable');
      calls.withdrawn.push(...orders.map((order) => order.orderId));
      return { withdrawn: true };
    },
    markAnswered: async () => true,
    async announceOrders(orders, { deadline }) {
      calls.announceDeadline = deadline;
      const unannounced = orders.filter((order) => options.announceFails?.(order));
      calls.announced.push(...orders.filter((order) => !unannounced.includes(order)).map((order) => order.orderId));
      return unannounced.length > 0 ? { unannounced, failure: new Error('SNS throttled') } : { unannounced };
    },
    async sweepSoon(orderIds) {
      if (options.sweepSoonFails) throw new Error('DynamoDB throttled');
      calls.sweptSoon.push(...orderIds);
    },
  };
  return { ports, calls, table };
}

const inTenSeconds = () => ({ deadlineSeconds: 300, replyBy: Date.now() + 10_000 });

describe('placing orders', () => {
  it('stores PENDING orders in request order, for the sweeper to look at one deadline later, and announces them', async () => {
    const { ports, calls } = fakePorts();
    const placement = await placeOrders([request('a'), request('b')], ports, inTenSeconds());
    expect(placement.orders.map((o) => [o.orderId, o.customerId, o.status])).toEqual([
      ['o-0', 'a', 'PENDING'],
      ['o-1', 'b', 'PENDING'],
    ]);
    expect(placement.orders[0]?.logs).toEqual(['Order received: 1 product, 1 unit, total 1.00']);
    expect(calls.stored.map((call) => call.sweepAt)).toEqual(['2026-01-01T00:05:00.000Z']);
    expect(calls.announced).toEqual(['o-0', 'o-1']);
    expect(placement).toMatchObject({ replayed: false, unannounced: [] });
  });

  it('answers an earlier attempt of the same request with its orders as first placed, and stores nothing new', async () => {
    const first = fakePorts();
    const earlier = await placeOrders([request('a'), request('b')], first.ports, inTenSeconds());
    // The first attempt's orders have moved on since; a retry answers them as they were placed.
    const moved = [...first.table.values()].map((order) => ({ ...order, status: 'SHIPPED' as const, logs: [...order.logs, 'Shipped'] }));
    const retry = fakePorts({ existing: moved });
    const again = await placeOrders([request('a'), request('b')], { ...retry.ports, now: () => new Date('2026-01-01T00:00:09.000Z') }, inTenSeconds());
    expect(again.orders).toEqual(earlier.orders);
    expect(again.replayed).toBe(true);
    expect(retry.calls.announced).toEqual([]);
  });

  it('announces again, on a retry, the earlier orders that no check result has reached: they may never have been announced', async () => {
    const first = fakePorts();
    await placeOrders([request('a'), request('b')], first.ports, inTenSeconds());
    const [a, b] = [...first.table.values()] as [Order, Order];
    const retry = fakePorts({ existing: [a, { ...b, creditCheck: 'PASSED' }] });
    await placeOrders([request('a'), request('b')], retry.ports, inTenSeconds());
    expect(retry.calls.announced).toEqual(['o-0']);
  });

  it('refuses the key when its orders exist for another body, and announces nothing', async () => {
    const first = fakePorts();
    await placeOrders([request('a', 100)], first.ports, inTenSeconds());
    const retry = fakePorts({ existing: [...first.table.values()] });
    await expect(placeOrders([request('a', 200)], retry.ports, inTenSeconds())).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(retry.calls.announced).toEqual([]);
  });

  it('refuses the key when only some of its ids are taken (another request with more orders)', async () => {
    const first = fakePorts();
    await placeOrders([request('a')], first.ports, inTenSeconds());
    const retry = fakePorts({ existing: [...first.table.values()] });
    await expect(placeOrders([request('a'), request('b')], retry.ports, inTenSeconds())).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('withdraws whatever the write may have stored when its outcome is unknown, and says none will be processed', async () => {
    const { ports, calls } = fakePorts({ storeFails: true });
    const failure = placeOrders([request('a'), request('b')], ports, inTenSeconds());
    await expect(failure).rejects.toBeInstanceOf(OrdersNotStoredError);
    await expect(failure).rejects.toMatchObject({ mayBeStored: false, orderIds: ['o-0', 'o-1'] });
    expect(calls.withdrawn).toEqual(['o-0', 'o-1']);
    expect(calls.announced).toEqual([]);
  });

  it('stores nothing, and says so, when the answer is already due: whoever would read it has given up', async () => {
    const { ports, calls } = fakePorts();
    await expect(placeOrders([request('a')], ports, { deadlineSeconds: 300, replyBy: Date.now() })).rejects.toMatchObject({ mayBeStored: false, orderIds: ['o-0'] });
    expect(calls.stored).toEqual([]);
    expect(calls.withdrawn).toEqual([]);
  });

  it('says so when the orders may exist because withdrawing them failed too', async () => {
    const { ports } = fakePorts({ storeFails: true, withdrawFails: true });
    await expect(placeOrders([request('a')], ports, inTenSeconds())).rejects.toMatchObject({ mayBeStored: true, orderIds: ['o-0'] });
  });

  it('accepts stored orders it could not announce, and has the sweeper announce them at its next run', async () => {
    const { ports, calls } = fakePorts({ announceFails: (order) => order.customerId === 'b' });
    const placement = await placeOrders([request('a'), request('b')], ports, inTenSeconds());
    expect(placement.orders.map((o) => o.orderId)).toEqual(['o-0', 'o-1']);
    expect(placement.unannounced.map((o) => o.orderId)).toEqual(['o-1']);
    expect(placement.announceFailure).toEqual(new Error('SNS throttled'));
    expect(calls.sweptSoon).toEqual(['o-1']);
    expect(calls.withdrawn).toEqual([]);
  });

  it('still accepts them when the sweeper cannot be asked to hurry: it finds them one deadline later', async () => {
    const { ports } = fakePorts({ announceFails: () => true, sweepSoonFails: true });
    const placement = await placeOrders([request('a')], ports, inTenSeconds());
    expect(placement.unannounced.map((o) => o.orderId)).toEqual(['o-0']);
    expect(placement.sweepSoonFailure).toEqual(new Error('DynamoDB throttled'));
  });

  it('keeps time back from the answer: the write must be over before it, announcing takes at most a few seconds', async () => {
    const { ports, calls } = fakePorts();
    // The clock stands still (only Date is faked), so the times kept back are exact.
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'performance', 'hrtime'] });
    try {
      await placeOrders([request('a')], ports, { deadlineSeconds: 300, replyBy: now + 9000 });
    } finally {
      jest.useRealTimers();
    }
    expect(calls.stored[0]?.deadline).toBe(now + 9000 - 2000);
    expect(calls.announceDeadline).toBe(now + 3000);
  });
});

/**
 * Attempts of one request racing over one order table that behaves as the order store does: a
 * write takes ids that are free or fenced by another attempt, all or none; a withdrawal fences ids
 * that are free, fenced, or hold this attempt's untouched order not yet answered by another, all or
 * none, and otherwise hands back what holds them; marking orders answered needs them to be there.
 */
function raceTable() {
  type Stored = Order & { fenced?: boolean; answered?: boolean };
  const table = new Map<string, Stored>();
  const isOrder = (item: Stored | undefined): item is Stored => item !== undefined && !item.fenced;
  const found = (orders: Order[]) => orders.map((order) => { const item = table.get(order.orderId); return isOrder(item) ? item : undefined; });
  const gate = () => { let open = () => {}; const opened = new Promise<void>((resolve) => (open = resolve)); return { open, opened }; };

  function attempt(at: string, behaviour: { storeAppliesThenFailsAfter?: Promise<void>; storeFails?: boolean; withdrawLandsAfter?: Promise<void> } = {}) {
    const announced: string[] = [];
    const ports: OrderPlacementPorts = {
      now: () => new Date(at),
      orderId: (index) => `k-${index}`,
      async storeNewOrders(orders) {
        if (behaviour.storeFails) throw new Error('throttled');
        const free = orders.every((order) => { const item = table.get(order.orderId); return item === undefined || (item.fenced === true && item.createdAt !== order.createdAt); });
        if (!free) return { stored: false, found: found(orders) };
        for (const order of orders) table.set(order.orderId, { ...order });
        if (behaviour.storeAppliesThenFailsAfter) {
          await behaviour.storeAppliesThenFailsAfter;
          throw new Error('abandoned at its deadline: the write landed, its answer never came');
        }
        return { stored: true };
      },
      async withdrawOrders(orders) {
        await behaviour.withdrawLandsAfter;
        const fenceable = (order: Order) => {
          const item = table.get(order.orderId);
          return item === undefined || item.fenced === true || (item.status === 'PENDING' && item.createdAt === order.createdAt && !item.creditCheck && !item.stockCheck && !item.answered);
        };
        if (!orders.every(fenceable)) return { withdrawn: false, found: orders.map((order) => { const item = table.get(order.orderId); return !fenceable(order) && isOrder(item) ? item : undefined; }) };
        for (const order of orders) table.set(order.orderId, { ...order, fenced: true });
        return { withdrawn: true };
      },
      async markAnswered(orders) {
        const there = orders.filter((order) => isOrder(table.get(order.orderId)));
        for (const order of there) (table.get(order.orderId) as Stored).answered = true;
        return there.length === orders.length;
      },
      async announceOrders(orders) {
        announced.push(...orders.map((order) => order.orderId));
        return { unannounced: [] };
      },
      async sweepSoon() {},
    };
    return { ports, announced };
  }
  return { table, attempt, gate, orders: (ids: string[]) => ids.map((id) => table.get(id)) };
}

describe('attempts of one request racing (same Idempotency-Key and body)', () => {
  const body = [request('a'), request('b')];

  it('never withdraws orders another attempt answered 202: A abandons its landed write, B answers it, then A withdraws', async () => {
    const race = raceTable();
    const aGivesUp = race.gate();
    const a = placeOrders(body, race.attempt('2026-01-01T00:00:00.000Z', { storeAppliesThenFailsAfter: aGivesUp.opened }).ports, inTenSeconds());
    const b = race.attempt('2026-01-01T00:00:09.000Z');
    const answeredToB = await placeOrders(body, b.ports, inTenSeconds());
    expect(answeredToB).toMatchObject({ replayed: true });
    expect(b.announced).toEqual(['k-0', 'k-1']);
    aGivesUp.open();
    await a.catch(() => undefined);
    // What B answered 202 for is still there, as orders (not withdrawn), for the checks to reach.
    expect(race.orders(['k-0', 'k-1']).map((item) => [item?.fenced ?? false, item?.createdAt])).toEqual([
      [false, '2026-01-01T00:00:00.000Z'],
      [false, '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('never withdraws them either when A’s withdrawal was sent before B answered and lands after', async () => {
    const race = raceTable();
    const aLands = race.gate();
    const a = placeOrders(body, race.attempt('2026-01-01T00:00:00.000Z', { storeAppliesThenFailsAfter: Promise.resolve(), withdrawLandsAfter: aLands.opened }).ports, inTenSeconds());
    await new Promise((resolve) => setImmediate(resolve));
    await placeOrders(body, race.attempt('2026-01-01T00:00:09.000Z').ports, inTenSeconds());
    aLands.open();
    // A finds the orders answered: it answers them too, as a replay, rather than "none will be processed".
    await expect(a).resolves.toMatchObject({ replayed: true, orders: [{ orderId: 'k-0' }, { orderId: 'k-1' }] });
    expect(race.orders(['k-0', 'k-1']).every((item) => item !== undefined && !item.fenced)).toBe(true);
  });

  it('fences the ids as its own when the earlier attempt withdraws its orders as they are found, so that its own write cannot land later', async () => {
    const race = raceTable();
    await placeOrders(body, race.attempt('2026-01-01T00:00:00.000Z').ports, inTenSeconds());
    const aOrders = race.orders(['k-0', 'k-1']) as Order[];
    const b = race.attempt('2026-01-01T00:00:09.000Z');
    const markAnswered = b.ports.markAnswered.bind(b.ports);
    // A's withdrawal lands between B finding A's orders and B marking them answered.
    b.ports.markAnswered = async (orders, options) => {
      await race.attempt('2026-01-01T00:00:00.000Z').ports.withdrawOrders(aOrders, options);
      return markAnswered(orders, options);
    };
    const answer = placeOrders(body, b.ports, inTenSeconds());
    await expect(answer).rejects.toBeInstanceOf(OrdersNotStoredError);
    await expect(answer).rejects.toMatchObject({ mayBeStored: false });
    // B's own fences: a retry of B's put that lands late meets a fence of its own attempt and is refused.
    expect(race.orders(['k-0', 'k-1']).map((item) => [item?.fenced, item?.createdAt])).toEqual([
      [true, '2026-01-01T00:00:09.000Z'],
      [true, '2026-01-01T00:00:09.000Z'],
    ]);
  });

  it('answers an earlier attempt’s orders as a replay when its own write fails and its withdrawal finds them (never "none will be processed")', async () => {
    const race = raceTable();
    const first = await placeOrders(body, race.attempt('2026-01-01T00:00:00.000Z').ports, inTenSeconds());
    const b = race.attempt('2026-01-01T00:00:09.000Z', { storeFails: true });
    const answer = await placeOrders(body, b.ports, inTenSeconds());
    expect(answer).toMatchObject({ replayed: true, orders: first.orders });
    expect(b.announced).toEqual(['k-0', 'k-1']);
    // Answered now, so no attempt can take them back any more.
    expect(race.orders(['k-0', 'k-1']).map((item) => item?.answered)).toEqual([true, true]);
  });

  it('refuses the key when its failed write’s withdrawal finds orders of another body under its ids', async () => {
    const race = raceTable();
    await placeOrders([request('a', 500), request('b')], race.attempt('2026-01-01T00:00:00.000Z').ports, inTenSeconds());
    await expect(placeOrders(body, race.attempt('2026-01-01T00:00:09.000Z', { storeFails: true }).ports, inTenSeconds())).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });
});
