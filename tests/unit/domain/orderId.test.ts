import { derivedOrderId, orderIdsFor } from '../../../src/domain/orderId';

const scope = { caller: 'key-1', route: 'placeOrders', key: 'checkout-42' };
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('order ids', () => {
  it('names an order of a keyed request the same way on every attempt', () => {
    expect(derivedOrderId(scope, 0)).toBe(derivedOrderId({ ...scope }, 0));
    expect(orderIdsFor(scope)(3)).toBe(derivedOrderId(scope, 3));
  });

  it('are UUIDs (version 8, made from a SHA-256)', () => {
    expect(derivedOrderId(scope, 0)).toMatch(UUID_V8);
    expect(derivedOrderId({ caller: null, route: 'placeOrder', key: 'k' }, 0)).toMatch(UUID_V8);
  });

  it('differ for each order of a request, each route, each key and each caller', () => {
    const ids = [
      derivedOrderId(scope, 0),
      derivedOrderId(scope, 1),
      derivedOrderId({ ...scope, route: 'placeOrder' }, 0),
      derivedOrderId({ ...scope, key: 'checkout-43' }, 0),
      derivedOrderId({ ...scope, caller: 'key-2' }, 0),
      derivedOrderId({ ...scope, caller: null }, 0),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('cannot be made to collide by moving text between the parts', () => {
    expect(derivedOrderId({ caller: 'a', route: 'b', key: 'c' }, 0)).not.toBe(derivedOrderId({ caller: 'a,b', route: '', key: 'c' }, 0));
    expect(derivedOrderId({ caller: null, route: 'r', key: 'k' }, 0)).not.toBe(derivedOrderId({ caller: 'null', route: 'r', key: 'k' }, 0));
  });

  it('are random without a key', () => {
    const next = orderIdsFor(undefined);
    const [a, b] = [next(0), next(0)];
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });
});
