import type { Order } from '../../../src/domain/order';
import { OrdersNotQueuedError, placeOrders, type OrderPlacementPorts } from '../../../src/usecases/placeOrders';

function ports(announce: (orders: Order[]) => Promise<void> = async () => undefined) {
  const saved: Order[] = [];
  const discarded: string[] = [];
  let id = 0;
  const value: OrderPlacementPorts = {
    newOrderId: () => `o-${++id}`,
    now: () => '2026-01-01T00:00:00.000Z',
    saveOrders: async (orders) => void saved.push(...orders),
    announceOrders: announce,
    discardOrders: async (orders) => void discarded.push(...orders.map((o) => o.orderId)),
  };
  return { value, saved, discarded };
}

const request = (customerId: string) => ({ customerId, items: [{ productId: 'p', qty: 1 }], totalCents: 100 });

describe('placing orders', () => {
  it('stores PENDING orders in request order and announces them', async () => {
    const announced: string[] = [];
    const { value, saved } = ports(async (orders) => void announced.push(...orders.map((o) => o.orderId)));
    const orders = await placeOrders([request('a'), request('b')], value);
    expect(orders.map((o) => [o.orderId, o.customerId, o.status])).toEqual([
      ['o-1', 'a', 'PENDING'],
      ['o-2', 'b', 'PENDING'],
    ]);
    expect(orders[0]?.logs).toEqual(['Order received: 1 product, 1 unit, total 1.00']);
    expect(saved).toHaveLength(2);
    expect(announced).toEqual(['o-1', 'o-2']);
  });

  it('discards the stored orders and says so when they cannot be announced', async () => {
    const { value, discarded } = ports(async () => {
      throw new Error('SNS is down');
    });
    await expect(placeOrders([request('a')], value)).rejects.toBeInstanceOf(OrdersNotQueuedError);
    expect(discarded).toEqual(['o-1']);
  });
});
