import type { OrderToShip } from '../../../src/domain/messages';
import { newOrder, OrderStatus, type Order } from '../../../src/domain/order';
import type { ShipmentOutcome, ShipmentRefusal } from '../../../src/domain/shipping';
import { shipOrders, type ShippingPorts } from '../../../src/usecases/shipOrders';

const order = (orderId: string, customerId: string, productIds: string[], status: OrderStatus = OrderStatus.ReadyToShip): Order => ({
  ...newOrder({ customerId, items: productIds.map((productId) => ({ productId, qty: 1 })), totalCents: 18778 }, orderId, '2026-01-01T00:00:00.000Z'),
  status,
});
const carrying = (shipped: Order) => ({ orderId: shipped.orderId, order: shipped });

/** Ports whose transaction answers `outcomeOf` each order and records which ran at the same time. */
function ports(outcomeOf: (order: OrderToShip) => ShipmentOutcome = () => ({ shipped: true }), stored: Order[] = []) {
  const calls = { shipped: [] as string[], rejections: [] as string[], reads: [] as string[][], running: 0, mostAtOnce: 0 };
  const value: ShippingPorts = {
    async getOrders(orderIds) {
      calls.reads.push(orderIds);
      return { get: (orderId) => stored.find((candidate) => candidate.orderId === orderId) };
    },
    async ship(toShip) {
      calls.mostAtOnce = Math.max(calls.mostAtOnce, ++calls.running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.running--;
      calls.shipped.push(toShip.orderId);
      return outcomeOf(toShip);
    },
    async rejectAtShipping(_, line) {
      calls.rejections.push(line);
      return true;
    },
  };
  return { value, calls };
}
const effects = (report: Awaited<ReturnType<typeof shipOrders>>) => report.outcomes.inOrder().map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : `failed: ${(outcome.reason as Error).message}`));

describe('shipping a batch of shipment requests', () => {
  it('ships each order the requests carry, reading nothing first', async () => {
    const { value, calls } = ports();
    const report = await shipOrders([carrying(order('o-1', 'c1', ['p1']))], value);
    expect(effects(report)).toEqual(['shipped']);
    expect(report.shipped.map((shipped) => shipped.orderId)).toEqual(['o-1']);
    expect(calls.reads).toEqual([]);
  });

  it('ships orders that share no account or product at the same time, and those that share one in batch order, one after another', async () => {
    const { value, calls } = ports();
    const batch = [order('o-1', 'c1', ['p1']), order('o-2', 'c2', ['p2']), order('o-3', 'c3', ['p1', 'p3']), order('o-4', 'c1', ['p4']), order('o-5', 'c5', ['p5'])];
    expect(effects(await shipOrders(batch.map(carrying), value))).toEqual(['shipped', 'shipped', 'shipped', 'shipped', 'shipped']);
    expect(calls.mostAtOnce).toBe(3);
    expect(calls.shipped.indexOf('o-3')).toBeGreaterThan(calls.shipped.indexOf('o-1'));
    expect(calls.shipped.indexOf('o-4')).toBeGreaterThan(calls.shipped.indexOf('o-1'));
  });

  it.each<[ShipmentRefusal, string]>([
    [{ reason: 'insufficient-stock', productIds: ['456'] }, 'Rejected at shipping: insufficient stock for product 456'],
    [{ reason: 'insufficient-credit', totalCents: 18778 }, 'Rejected at shipping: insufficient credit for 187.78'],
    [{ reason: 'no-account' }, 'Rejected at shipping: customer has no account'],
    [{ reason: 'no-product', productIds: ['456'] }, 'Rejected at shipping: product 456 does not exist'],
  ])('rejects the order when the transaction finds %o', async (refusal, line) => {
    const { value, calls } = ports(() => ({ shipped: false, refusal }));
    const report = await shipOrders([carrying(order('o-1', 'c1', ['456']))], value);
    expect(effects(report)).toEqual(['rejected']);
    expect(report.rejected).toEqual([{ order: expect.objectContaining({ orderId: 'o-1', createdAt: '2026-01-01T00:00:00.000Z' }), reason: refusal.reason }]);
    expect(calls.rejections).toEqual([line]);
  });

  it('does nothing for an order that is not ready to ship (not yet, or no longer)', async () => {
    const { value, calls } = ports(() => ({ shipped: false, notReadyToShip: true }));
    const report = await shipOrders([carrying(order('o-1', 'c1', ['p1']))], value);
    expect(effects(report)).toEqual(['ignored']);
    expect([report.shipped, calls.rejections]).toEqual([[], []]);
  });

  it('ships the stored order when a request describes it otherwise, charging what the order says', async () => {
    const stored = order('o-1', 'c1', ['p1']);
    const { value, calls } = ports((toShip) => (toShip.totalCents === stored.totalCents ? { shipped: true } : { shipped: false, differs: stored }));
    const report = await shipOrders([carrying({ ...stored, totalCents: 1 })], value);
    expect(effects(report)).toEqual(['shipped']);
    expect(report.shipped).toEqual([stored]);
    expect(calls.shipped).toEqual(['o-1', 'o-1']);
  });

  it('reads, all at once, the orders of requests that name only their order, and ships those READY_TO_SHIP', async () => {
    const stored = [order('o-1', 'c1', ['p1']), order('o-2', 'c2', ['p2'], OrderStatus.Shipped)];
    const { value, calls } = ports(undefined, stored);
    const report = await shipOrders([{ orderId: 'o-1' }, { orderId: 'o-2' }, { orderId: 'unknown' }, carrying(order('o-4', 'c4', ['p4']))], value);
    expect(effects(report)).toEqual(['shipped', 'ignored', 'ignored', 'shipped']);
    expect(calls.reads).toEqual([['o-1', 'o-2', 'unknown']]);
  });

  it('fails only the requests whose order could not be read, or whose shipment failed', async () => {
    const { value } = ports((toShip) => {
      if (toShip.orderId === 'o-2') throw new Error('item size has exceeded the maximum allowed size');
      return { shipped: true };
    });
    const failingRead = { ...value, getOrders: () => Promise.reject(new Error('DynamoDB unavailable')) };
    const report = await shipOrders([carrying(order('o-1', 'c1', ['p1'])), carrying(order('o-2', 'c2', ['p2'])), { orderId: 'o-3' }], failingRead);
    expect(effects(report)).toEqual(['shipped', 'failed: item size has exceeded the maximum allowed size', 'failed: DynamoDB unavailable']);
  });
});
