import { checkCredit, checkStock } from '../../../src/domain/checks';

const order = { orderId: 'o-1', customerId: 'aaa789', totalCents: 18778, items: [{ productId: '456', qty: 1 }, { productId: '789', qty: 2 }] };

describe('credit check', () => {
  it('passes when the balance covers the total', () => {
    expect(checkCredit(order, 100_000)).toEqual({
      orderId: 'o-1',
      check: 'CREDIT',
      passed: true,
      detail: 'Credit check passed: balance 1000.00 covers 187.78',
    });
  });

  it('passes when the balance equals the total exactly', () => {
    expect(checkCredit(order, 18778).passed).toBe(true);
  });

  it('fails when the balance is short by a cent', () => {
    expect(checkCredit(order, 18777)).toMatchObject({ passed: false, reason: 'insufficient-credit', detail: 'Credit check failed: balance 187.77 does not cover 187.78' });
  });

  it('fails when the customer has no account', () => {
    expect(checkCredit(order, undefined)).toMatchObject({ passed: false, reason: 'no-account', detail: 'Credit check failed: customer aaa789 has no account' });
  });
});

describe('stock check', () => {
  it('passes when every product has enough units', () => {
    const result = checkStock(order, new Map([['456', 1], ['789', 100]]));
    expect(result).toMatchObject({ check: 'STOCK', passed: true });
    expect(result.detail).toBe('Stock check passed: product 456 has 1, needs 1; product 789 has 100, needs 2');
  });

  it('names each product that is short or missing', () => {
    const result = checkStock(order, new Map([['456', 0]]));
    expect(result).toMatchObject({ passed: false, detail: 'Stock check failed: product 456 has 0, needs 1; product 789 does not exist' });
  });

  it('gives a missing product as the reason over a short one, as shipping does', () => {
    expect(checkStock(order, new Map([['456', 0]])).reason).toBe('no-product');
    expect(checkStock(order, new Map([['456', 0], ['789', 100]])).reason).toBe('insufficient-stock');
    expect(checkStock(order, new Map([['456', 1], ['789', 2]])).reason).toBeUndefined();
  });
});
