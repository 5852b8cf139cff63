// Money is held as a whole number of cents so that no amount ever passes through binary
// floating-point arithmetic; DynamoDB stores and subtracts the decimal form exactly.

export type Cents = number;

const MAX_CENTS = 100_000_000_000; // 1 000 000 000.00
const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;

export class InvalidAmountError extends Error {}

/**
 * Reads an amount given as a JSON number or as DynamoDB's decimal string. A JSON number's
 * shortest round-trip form is exactly what the client wrote (less trailing zeros), so checking
 * that form for at most two decimals is exact.
 */
export function toCents(amount: number | string): Cents {
  const text = typeof amount === 'number' ? String(amount) : amount.trim();
  const match = DECIMAL.exec(text);
  if (!match) {
    throw new InvalidAmountError(`${text} is not an amount >= 0 with at most 2 decimal places`);
  }
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const cents = Number(whole) * 100 + Number(fraction);
  if (!Number.isSafeInteger(cents) || cents > MAX_CENTS) {
    throw new InvalidAmountError(`${text} is more than 1000000000`);
  }
  return cents;
}

/** The decimal string of an amount, as shown to people and as sent to DynamoDB: `187.78`. */
export function formatCents(cents: Cents): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A JSON-safe number for an amount in cents; exact because it is parsed from its decimal form. */
export function centsToNumber(cents: Cents): number {
  return Number(formatCents(cents));
}
