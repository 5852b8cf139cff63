import type { CheckUpdate } from '../../../src/domain/checkResults';
import type { OrderToShip } from '../../../src/domain/messages';
import { newOrder, OrderStatus, type CheckResult, type Order, type OrderProgress } from '../../../src/domain/order';
import { applyCheckResults, type CheckResultPorts } from '../../../src/usecases/applyCheckResults';
import { checkResult } from '../../support/factories';

const placed = (orderId: string, progress: OrderProgress = { status: OrderStatus.Pending }): Order => ({
  ...newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 1 }], totalCents: 100 }, orderId, '2026-01-01T00:00:00.000Z'),
  logs: [],
  ...progress,
});
const progressOf = ({ status, creditCheck, stockCheck }: OrderProgress) => ({ status, creditCheck, stockCheck });

/** An in-memory order table that holds a write to the same condition as the DynamoDB adapter: the order exactly as the write was decided from. */
function orderTable(...orders: Order[]) {
  const rows = new Map(orders.map((order) => [order.orderId, order]));
  const calls = { reads: [] as string[][], writes: [] as { orderId: string; update: CheckUpdate }[], shipped: [] as OrderToShip[][] };
  /** Runs before each write: another delivery changing the order in between. */
  let beforeWrite: (order: Order) => void = () => undefined;
  const ports: CheckResultPorts = {
    async getOrders(orderIds) {
      calls.reads.push(orderIds);
      const copies = new Map(orderIds.flatMap((orderId) => (rows.has(orderId) ? [[orderId, structuredClone(rows.get(orderId) as Order)] as const] : [])));
      return { get: (orderId) => copies.get(orderId) };
    },
    async applyCheckUpdate(orderId, update) {
      calls.writes.push({ orderId, update });
      const order = rows.get(orderId);
      if (!order) return { applied: false };
      beforeWrite(order);
      if (JSON.stringify(progressOf(order)) !== JSON.stringify(progressOf(update.from))) return { applied: false, current: structuredClone(order) };
      Object.assign(order, update.to, { logs: [...order.logs, ...update.logLines] });
      return { applied: true };
    },
    async requestShipping(toShip) {
      calls.shipped.push(toShip);
      return toShip.map(() => undefined);
    },
  };
  return { rows, calls, ports, changeBeforeWrite: (change: (order: Order) => void) => (beforeWrite = change) };
}

const credit = (orderId: string, overrides: Partial<CheckResult> = {}) => checkResult({ orderId, check: 'CREDIT', detail: 'Credit check passed: balance 1000.00 covers 1.00', ...overrides });
const stock = (orderId: string, overrides: Partial<CheckResult> = {}) => checkResult({ orderId, check: 'STOCK', detail: 'Stock check passed: product 456 has 5, needs 1', ...overrides });
const stockShort = (orderId: string) => stock(orderId, { passed: false, reason: 'insufficient-stock', detail: 'Stock check failed: product 456 has 0, needs 1' });
const effects = (report: Awaited<ReturnType<typeof applyCheckResults>>) => report.outcomes.inOrder().map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : `failed: ${(outcome.reason as Error).message}`));

describe('applying a batch of check results', () => {
  it('records the first passed check and waits for the other', async () => {
    const { rows, calls, ports } = orderTable(placed('o-1'));
    expect(effects(await applyCheckResults([credit('o-1')], ports))).toEqual(['recorded']);
    expect(rows.get('o-1')).toMatchObject({ status: 'PENDING', creditCheck: 'PASSED', logs: ['Credit check passed: balance 1000.00 covers 1.00'] });
    expect(calls.shipped).toEqual([]);
  });

  it('moves the order to READY_TO_SHIP with the second check, and requests its shipment with the order itself', async () => {
    const { rows, calls, ports } = orderTable(placed('o-1', { status: OrderStatus.Pending, creditCheck: 'PASSED' }));
    expect(effects(await applyCheckResults([stock('o-1')], ports))).toEqual(['ready-to-ship']);
    expect(rows.get('o-1')).toMatchObject({ status: 'READY_TO_SHIP', stockCheck: 'PASSED', logs: ['Stock check passed: product 456 has 5, needs 1', 'Ready to ship: credit and stock checks passed'] });
    expect(calls.shipped).toEqual([[expect.objectContaining({ orderId: 'o-1', customerId: 'aaa789', totalCents: 100, createdAt: '2026-01-01T00:00:00.000Z' })]]);
  });

  it('records both results of an order that came in one batch, and moves it on, in one write', async () => {
    const { rows, calls, ports } = orderTable(placed('o-1'));
    expect(effects(await applyCheckResults([stock('o-1'), credit('o-1')], ports))).toEqual(['ready-to-ship', 'ready-to-ship']);
    expect(calls.writes).toHaveLength(1);
    expect(rows.get('o-1')?.logs).toEqual(['Stock check passed: product 456 has 5, needs 1', 'Credit check passed: balance 1000.00 covers 1.00', 'Ready to ship: credit and stock checks passed']);
    expect(calls.shipped.flat().map((order) => order.orderId)).toEqual(['o-1']);
  });

  it('reads every order of the batch at once and requests every shipment at once', async () => {
    const { calls, ports } = orderTable(placed('o-1'), placed('o-2'), placed('o-3', { status: OrderStatus.Pending, stockCheck: 'PASSED' }));
    await applyCheckResults([credit('o-1'), credit('o-2'), stock('o-1'), credit('o-3'), stock('o-2')], ports);
    expect(calls.reads).toEqual([['o-1', 'o-2', 'o-3']]);
    expect(calls.shipped.map((batch) => batch.map((order) => order.orderId))).toEqual([['o-1', 'o-2', 'o-3']]);
  });

  it('rejects the order for a failed check, reporting the result it was rejected for', async () => {
    const { rows, calls, ports } = orderTable(placed('o-1'));
    const report = await applyCheckResults([stockShort('o-1')], ports);
    expect(effects(report)).toEqual(['rejected']);
    expect(report.rejected).toEqual([{ order: expect.objectContaining({ orderId: 'o-1', createdAt: '2026-01-01T00:00:00.000Z' }), result: stockShort('o-1') }]);
    expect(rows.get('o-1')).toMatchObject({ status: 'REJECTED', stockCheck: 'FAILED' });
    expect(calls.shipped).toEqual([]);
  });

  it('rejects an order once for a passed and a failed result that came together, the failure last in its log', async () => {
    const { rows, ports } = orderTable(placed('o-1'), placed('o-2'));
    const report = await applyCheckResults([credit('o-1'), stockShort('o-1'), stockShort('o-2'), credit('o-2')], ports);
    expect(effects(report)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(report.rejected.map(({ order }) => order.orderId)).toEqual(['o-1', 'o-2']);
    expect(rows.get('o-1')).toMatchObject({ status: 'REJECTED', creditCheck: 'PASSED', stockCheck: 'FAILED', logs: [credit('o-1').detail, stockShort('o-1').detail] });
    expect(rows.get('o-2')).toMatchObject({ status: 'REJECTED', stockCheck: 'FAILED', logs: [stockShort('o-2').detail] });
  });

  it('changes nothing for a result of an order rejected already, or for a second opinion on a check it has', async () => {
    const { rows, calls, ports } = orderTable(placed('o-1', { status: OrderStatus.Rejected, creditCheck: 'FAILED' }), placed('o-2', { status: OrderStatus.Pending, creditCheck: 'PASSED' }));
    expect(effects(await applyCheckResults([stock('o-1'), credit('o-2', { passed: false, reason: 'insufficient-credit' })], ports))).toEqual(['ignored', 'ignored']);
    expect(calls.writes).toEqual([]);
    expect(rows.get('o-2')).toMatchObject({ status: 'PENDING', creditCheck: 'PASSED' });
  });

  it('takes the first result of a check when two contrary ones come in one batch', async () => {
    const { rows, ports } = orderTable(placed('o-1'));
    await applyCheckResults([credit('o-1'), credit('o-1', { passed: false, reason: 'insufficient-credit' })], ports);
    expect(rows.get('o-1')).toMatchObject({ status: 'PENDING', creditCheck: 'PASSED' });
  });

  it('requests the shipment again for a result repeated after the order became READY_TO_SHIP, writing nothing', async () => {
    const { calls, ports } = orderTable(placed('o-1', { status: OrderStatus.ReadyToShip, creditCheck: 'PASSED', stockCheck: 'PASSED' }));
    expect(effects(await applyCheckResults([stock('o-1')], ports))).toEqual(['shipping-requested-again']);
    expect(calls.writes).toEqual([]);
    expect(calls.shipped.flat().map((order) => order.orderId)).toEqual(['o-1']);
  });

  it('decides again from the order a write hands back when the other check was recorded in between', async () => {
    const table = orderTable(placed('o-1'));
    table.changeBeforeWrite((order) => {
      order.creditCheck ??= 'PASSED';
    });
    expect(effects(await applyCheckResults([stock('o-1')], table.ports))).toEqual(['ready-to-ship']);
    expect(table.calls.writes.map(({ update }) => update.to.status)).toEqual(['PENDING', 'READY_TO_SHIP']);
    expect(table.calls.shipped.flat().map((order) => order.orderId)).toEqual(['o-1']);
  });

  it('fails the results of an order that keeps changing under them, so that they are retried, and applies the others', async () => {
    const table = orderTable(placed('o-1'), placed('o-2'));
    table.changeBeforeWrite((order) => {
      if (order.orderId !== 'o-1') return;
      if (order.stockCheck) delete order.stockCheck;
      else order.stockCheck = 'PASSED';
    });
    expect(effects(await applyCheckResults([credit('o-1'), credit('o-2')], table.ports))).toEqual([expect.stringMatching(/^failed: order o-1 kept changing/), 'recorded']);
  });

  it('ignores a result for an order that does not exist', async () => {
    const { calls, ports } = orderTable();
    expect(effects(await applyCheckResults([credit('missing')], ports))).toEqual(['ignored']);
    expect(calls.writes).toEqual([]);
  });

  it('fails every result when the orders cannot be read, and only an order’s own when just it cannot', async () => {
    const { ports } = orderTable(placed('o-1'));
    expect(effects(await applyCheckResults([credit('o-1'), stock('o-1')], { ...ports, getOrders: async () => Promise.reject(new Error('DynamoDB unavailable')) }))).toEqual([
      'failed: DynamoDB unavailable',
      'failed: DynamoDB unavailable',
    ]);
    const unreadable: CheckResultPorts = {
      ...ports,
      getOrders: async () => ({
        get: (orderId) => {
          if (orderId === 'bad') throw new Error('cannot be a key');
          return placed(orderId);
        },
      }),
    };
    expect(effects(await applyCheckResults([credit('bad'), credit('o-1')], unreadable))).toEqual(['failed: cannot be a key', 'recorded']);
  });

  it('fails the results of an order whose shipment request could not be sent, and only those', async () => {
    const { rows, ports } = orderTable(placed('o-1'), placed('o-2'));
    const sqsRefuses = { ...ports, requestShipping: async (orders: OrderToShip[]) => orders.map((order) => (order.orderId === 'o-1' ? new Error('SQS unavailable') : undefined)) };
    expect(effects(await applyCheckResults([credit('o-1'), stock('o-1'), credit('o-2'), stock('o-2')], sqsRefuses))).toEqual([
      'failed: SQS unavailable',
      'failed: SQS unavailable',
      'ready-to-ship',
      'ready-to-ship',
    ]);
    // Delivered again, the result finds its order READY_TO_SHIP and asks again.
    expect(rows.get('o-1')?.status).toBe('READY_TO_SHIP');
    expect(effects(await applyCheckResults([credit('o-1')], ports))).toEqual(['shipping-requested-again']);
  });
});
