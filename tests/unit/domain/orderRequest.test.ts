import { BrokenRulesError, toOrderRequests } from '../../../src/domain/orderRequest';
import { InvalidRequestError } from '../../../src/http/errors';

const body = (overrides = {}) => ({ customerId: 'c1', items: [{ productId: 'p1', qty: 2 }], totalAmount: 10.5, ...overrides });
const batchPath = (index: number) => `orders[${index}].`;

describe('order requests', () => {
  it('turns valid bodies into requests with the total in cents', () => {
    expect(toOrderRequests([body()], () => '')).toEqual([{ customerId: 'c1', items: [{ productId: 'p1', qty: 2 }], totalCents: 1050 }]);
  });

  it('refuses the same product twice in one order, naming the repeat', () => {
    const items = [{ productId: 'p1', qty: 1 }, { productId: 'p2', qty: 1 }, { productId: 'p1', qty: 3 }];
    expect(() => toOrderRequests([body({ items })], () => '')).toThrow(BrokenRulesError);
    try {
      toOrderRequests([body({ items })], () => '');
    } catch (error) {
      expect((error as BrokenRulesError).errors).toEqual([{ path: 'items[2].productId', message: expect.stringContaining('repeats items[0].productId') }]);
    }
  });

  it('names the index of each bad order in a batch and the batch as a whole fails', () => {
    let caught: InvalidRequestError | undefined;
    try {
      toOrderRequests([body(), body({ totalAmount: 1.005 }), body()], batchPath);
    } catch (error) {
      // As the API answers it (400).
      caught = InvalidRequestError.of((error as BrokenRulesError).errors);
    }
    expect(caught?.message).toMatch(/^Order #1 is invalid; nothing was stored/);
    expect(caught?.errors).toEqual([{ path: 'orders[1].totalAmount', message: expect.stringContaining('at most 2 decimal places') }]);
  });
});
