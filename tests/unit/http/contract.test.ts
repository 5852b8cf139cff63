import { operationContract } from '../../../src/http/contract';
import { seededRandom } from '../../guarantees/support/random';

const validateOrder = (totalAmount: number) =>
  operationContract('/order', 'POST')?.validateBody?.({ customerId: 'c1', items: [{ productId: 'p1', qty: 1 }], totalAmount }) ?? ['no contract'];
const validateAccount = (balance: number) => operationContract('/account', 'POST')?.validateBody?.({ customerId: 'c1', balance }) ?? ['no contract'];

describe('money in the contract (multipleOf 0.01)', () => {
  it('accepts large amounts with cents that a binary division gets slightly wrong', () => {
    for (const amount of [1234567.89, 299999.73, 4699995.77, 999999999.99, 1000000000, 0.01, 0.07, 4.35]) {
      expect({ amount, errors: validateOrder(amount) }).toEqual({ amount, errors: [] });
      expect({ amount, errors: validateAccount(amount) }).toEqual({ amount, errors: [] });
    }
  });

  it('accepts every amount with cents up to 1 000 000 000 (a fixed sample of 200 000)', () => {
    const random = seededRandom(4_242);
    const refused: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const amount = Math.floor(random.next() * 100_000_000_001) / 100;
      if (validateAccount(amount).length > 0) refused.push(amount);
    }
    expect(refused).toEqual([]);
  });

  it('still refuses amounts with three or more decimals', () => {
    for (const amount of [1.001, 0.015, 1234567.891, 999999999.999, 0.0001]) {
      expect({ amount, errors: validateOrder(amount) }).toEqual({ amount, errors: [{ path: 'totalAmount', message: 'must have at most 2 decimal places' }] });
    }
  });
});
