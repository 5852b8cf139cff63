// Rules on an order request that a JSON Schema cannot state: exact money and one line per product.
import { InvalidAmountError, toCents } from './money';
import type { OrderItem, OrderRequest } from './order';

export interface FieldError {
  path: string;
  message: string;
}

/** A request breaks rules of its fields: each names the field and the rule. */
export class BrokenRulesError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`the request breaks ${errors.length} rule(s): ${errors.map((error) => error.path).join(', ')}`);
  }
}

export interface OrderRequestBody {
  customerId: string;
  items: OrderItem[];
  totalAmount: number;
}

/** Turns schema-valid bodies into order requests, or lists every field that breaks a rule. */
export function toOrderRequests(bodies: OrderRequestBody[], pathOf: (index: number) => string): OrderRequest[] {
  const errors: FieldError[] = [];
  const requests = bodies.map((body, index) => {
    const prefix = pathOf(index);
    const firstIndexOf = new Map<string, number>();
    body.items.forEach((item, itemIndex) => {
      const earlier = firstIndexOf.get(item.productId);
      if (earlier === undefined) firstIndexOf.set(item.productId, itemIndex);
      else errors.push({ path: `${prefix}items[${itemIndex}].productId`, message: `repeats items[${earlier}].productId; list each product once with its total qty` });
    });
    let totalCents = 0;
    try {
      totalCents = toCents(body.totalAmount);
    } catch (error) {
      if (!(error instanceof InvalidAmountError)) throw error;
      errors.push({ path: `${prefix}totalAmount`, message: 'must be a number >= 0 with at most 2 decimal places, at most 1000000000' });
    }
    return { customerId: body.customerId, items: body.items.map(({ productId, qty }) => ({ productId, qty })), totalCents };
  });
  if (errors.length > 0) throw new BrokenRulesError(errors);
  return requests;
}
