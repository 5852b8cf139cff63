import { shippingWaves } from '../../../src/domain/shipping';

const shipment = (customerId: string, ...productIds: string[]) => ({ customerId, items: productIds.map((productId) => ({ productId, qty: 1 })) });

describe('the waves a batch of shipments runs in', () => {
  it('ships orders that share no account or product in one wave', () => {
    expect(shippingWaves([shipment('c1', 'p1'), shipment('c2', 'p2', 'p3'), shipment('c3', 'p4')])).toEqual([[0, 1, 2]]);
  });

  it('puts an order that shares a product or an account with an earlier one in a later wave', () => {
    expect(shippingWaves([shipment('c1', 'p1'), shipment('c2', 'p1'), shipment('c1', 'p2'), shipment('c3', 'p3')])).toEqual([[0, 3], [1, 2]]);
  });

  it('keeps the batch order among the shipments of one product, however many', () => {
    expect(shippingWaves([shipment('c1', 'hot'), shipment('c2', 'hot', 'p2'), shipment('c3', 'p2'), shipment('c4', 'hot')])).toEqual([[0], [1], [2, 3]]);
  });

  it('lets a later order that shares nothing run in the first wave', () => {
    expect(shippingWaves([shipment('c1', 'hot'), shipment('c2', 'hot'), shipment('c3', 'hot'), shipment('c4', 'cold')])).toEqual([[0, 3], [1], [2]]);
  });

  it('has no waves for no shipments', () => {
    expect(shippingWaves([])).toEqual([]);
  });
});
