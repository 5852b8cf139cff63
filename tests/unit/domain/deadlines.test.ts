import { overdueAction } from '../../../src/domain/deadlines';

describe('overdue orders', () => {
  it('leaves an order alone before its deadline', () => {
    expect(overdueAction('PENDING', 299, 300)).toEqual({ kind: 'none' });
    expect(overdueAction('READY_TO_SHIP', 10, 300)).toEqual({ kind: 'none' });
  });

  it('rejects a PENDING order whose checks did not finish, saying why', () => {
    expect(overdueAction('PENDING', 300, 300)).toEqual({ kind: 'reject', logLine: expect.stringMatching(/^Rejected: the credit and stock checks did not finish within 300 s/) });
  });

  it('asks again for the shipment of a READY_TO_SHIP order, then gives up after three deadlines', () => {
    expect(overdueAction('READY_TO_SHIP', 301, 300)).toEqual({ kind: 'request-shipping' });
    expect(overdueAction('READY_TO_SHIP', 900, 300)).toEqual({ kind: 'reject', logLine: 'Rejected at shipping: the shipment could not be completed within 900 s' });
  });

  it('never touches a final order', () => {
    expect(overdueAction('SHIPPED', 10_000, 300)).toEqual({ kind: 'none' });
    expect(overdueAction('REJECTED', 10_000, 300)).toEqual({ kind: 'none' });
  });
});
