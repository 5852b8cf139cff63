import { newOrder, OrderStatus, type Order } from '../../../src/domain/order';
import type { ShipmentOutcome, ShipmentRefusal } from '../../../src/domain/shipping';
import { shipOrder, type ShippingPorts } from '../../../src/usecases/shipOrder';

const readyOrder = (): Order => ({
  ...newOrder({ customerId: 'c1', items: [{ productId: '456', qty: 1 }], totalCents: 18778 }, 'o-1', '2026-01-01T00:00:00.000Z'),
  status: OrderStatus.ReadyToShip,
});

function ports(order: Order | undefined, outcome: ShipmentOutcome) {
  const rejections: string[] = [];
  const shipped: string[] = [];
  const value: ShippingPorts = {
    getOrder: async () => order,
    ship: async (o) => {
      shipped.push(o.orderId);
      return outcome;
    },
    rejectAtShipping: async (_, line) => {
      rejections.push(line);
      return true;
    },
  };
  return { value, rejections, shipped };
}

describe('shipping an order', () => {
  it('ships a READY_TO_SHIP order', async () => {
    const order = readyOrder();
    const { value, rejections } = ports(order, { shipped: true });
    expect(await shipOrder('o-1', value)).toEqual({ effect: 'shipped', order });
    expect(rejections).toEqual([]);
  });

  it.each<[ShipmentRefusal, string]>([
    [{ reason: 'insufficient-stock', productIds: ['456'] }, 'Rejected at shipping: insufficient stock for product 456'],
    [{ reason: 'insufficient-credit', totalCents: 18778 }, 'Rejected at shipping: insufficient credit for 187.78'],
    [{ reason: 'no-account' }, 'Rejected at shipping: customer has no account'],
    [{ reason: 'no-product', productIds: ['456'] }, 'Rejected at shipping: product 456 does not exist'],
  ])('rejects the order when the transaction finds %o', async (refusal, line) => {
    const order = readyOrder();
    const { value, rejections } = ports(order, { shipped: false, refusal });
    expect(await shipOrder('o-1', value)).toEqual({ effect: 'rejected', order, reason: refusal.reason });
    expect(rejections).toEqual([line]);
  });

  it('does nothing when the order already moved on', async () => {
    const { value, rejections } = ports(readyOrder(), { shipped: false, alreadyFinal: true });
    expect(await shipOrder('o-1', value)).toEqual({ effect: 'ignored' });
    expect(rejections).toEqual([]);
  });

  it.each([OrderStatus.Pending, OrderStatus.Shipped, OrderStatus.Rejected])('does not try to ship an order that is %s', async (status) => {
    const { value, shipped } = ports({ ...readyOrder(), status }, { shipped: true });
    expect(await shipOrder('o-1', value)).toEqual({ effect: 'ignored' });
    expect(shipped).toEqual([]);
  });

  it('ignores a shipment request for an unknown order', async () => {
    const { value, shipped } = ports(undefined, { shipped: true });
    expect(await shipOrder('o-1', value)).toEqual({ effect: 'ignored' });
    expect(shipped).toEqual([]);
  });
});
