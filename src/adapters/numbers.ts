import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { formatCents, toCents, type Cents } from '../domain/money';

/** DynamoDB numbers are read with wrapNumbers, so they arrive as NumberValue (or plain numbers from mocks). */
export function readInteger(value: unknown): number {
  const n = Number(value instanceof NumberValue ? value.value : value);
  if (!Number.isSafeInteger(n)) throw new Error(`stored value ${String(value)} is not an integer`);
  return n;
}

export function readCents(value: unknown): Cents {
  if (value instanceof NumberValue) return toCents(value.value);
  if (typeof value === 'number' || typeof value === 'string') return toCents(value);
  throw new Error(`stored value ${String(value)} is not an amount`);
}

/** The exact decimal for DynamoDB, so its arithmetic works on the amount the client sent. */
export const moneyValue = (cents: Cents): NumberValue => NumberValue.from(formatCents(cents));
