import { centsToNumber, formatCents, toCents } from '../../../src/domain/money';

describe('money', () => {
  it('reads amounts with up to two decimals exactly', () => {
    expect(toCents(187.78)).toBe(18778);
    expect(toCents(0.29)).toBe(29);
    expect(toCents(100.5)).toBe(10050);
    expect(toCents('1000')).toBe(100000);
    expect(toCents(1_000_000_000)).toBe(100_000_000_000);
  });

  it('adds 0.1 and 0.2 to exactly 0.3', () => {
    expect(toCents(0.1) + toCents(0.2)).toBe(toCents(0.3));
    expect(formatCents(toCents(0.1) + toCents(0.2))).toBe('0.30');
  });

  it.each([0.001, 1.005, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1_000_000_000.01, 1e-7])('refuses %p', (amount) => {
    expect(() => toCents(amount)).toThrow();
  });

  it('formats cents for people and for DynamoDB', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(99_999_999_999)).toBe('999999999.99');
    expect(centsToNumber(18778)).toBe(187.78);
  });
});
