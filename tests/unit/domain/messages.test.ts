import { MalformedMessageError, parseCheckResult, parseOrderPlaced, parseShipmentRequest, toShipmentRequestMessage } from '../../../src/domain/messages';

describe('message parsers', () => {
  it('reads an order-placed message with its total in cents', () => {
    expect(parseOrderPlaced({ orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalAmount: '0.30' })).toEqual({
      orderId: 'o',
      customerId: 'c',
      items: [{ productId: 'p', qty: 2 }],
      totalCents: 30,
    });
  });

  it.each([
    ['not an object', 'text'],
    ['no items', { orderId: 'o', customerId: 'c', items: [], totalAmount: '1' }],
    ['a fractional qty', { orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 1.5 }], totalAmount: '1' }],
    ['no orderId', { customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1' }],
  ])('refuses an order-placed message with %s', (_, body) => {
    expect(() => parseOrderPlaced(body)).toThrow(MalformedMessageError);
  });

  it('reads check results and refuses unknown checks', () => {
    expect(parseCheckResult({ orderId: 'o', check: 'STOCK', passed: false, detail: 'd', reason: 'insufficient-stock' })).toEqual({ orderId: 'o', check: 'STOCK', passed: false, detail: 'd', reason: 'insufficient-stock' });
    expect(() => parseCheckResult({ orderId: 'o', check: 'PRICE', passed: true, detail: 'd' })).toThrow(MalformedMessageError);
    expect(parseCheckResult({ orderId: 'o', check: 'CREDIT', passed: false, detail: 'd', reason: 'no-account' })).toEqual({ orderId: 'o', check: 'CREDIT', passed: false, detail: 'd', reason: 'no-account' });
    expect(() => parseCheckResult({ orderId: 'o', check: 'STOCK', passed: 'yes', detail: 'd' })).toThrow(MalformedMessageError);
  });

  it('refuses a failed check result whose reason is missing or unknown: every failed check says why', () => {
    expect(() => parseCheckResult({ orderId: 'o', check: 'STOCK', passed: false, detail: 'd', reason: 'out-of-season' })).toThrow(MalformedMessageError);
    expect(() => parseCheckResult({ orderId: 'o', check: 'STOCK', passed: false, detail: 'd' })).toThrow(MalformedMessageError);
    expect(parseCheckResult({ orderId: 'o', check: 'STOCK', passed: true, detail: 'd', reason: 'no-product' })).toEqual({ orderId: 'o', check: 'STOCK', passed: true, detail: 'd' });
  });

  it('reads a shipment request with the order it carries, which is how they are sent', () => {
    const order = { orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalCents: 18778, createdAt: '2026-01-01T00:00:00.000Z' };
    expect(toShipmentRequestMessage(order)).toEqual({ orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalAmount: '187.78', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(parseShipmentRequest(JSON.parse(JSON.stringify(toShipmentRequestMessage(order))))).toEqual({ orderId: 'o', order });
  });

  it('reads a shipment request that names only its order, as sent before requests carried it', () => {
    expect(parseShipmentRequest({ orderId: 'o' })).toEqual({ orderId: 'o' });
  });

  it.each([
    ['no orderId', {}],
    ['part of an order', { orderId: 'o', customerId: 'c' }],
    ['an order without createdAt', { orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' }],
    ['an amount that is no amount', { orderId: 'o', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.001', createdAt: 't' }],
  ])('refuses a shipment request with %s', (_, body) => {
    expect(() => parseShipmentRequest(body)).toThrow(MalformedMessageError);
  });
});
