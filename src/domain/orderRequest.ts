// Rules on an order request that a JSON Schema cannot state: exact money and one line per product.
import { InvalidAmountError, toCents } from './money';
import type { OrderItem, OrderRequest } from './order';

export interface FieldError {
  path: string;
  message: string;
}

export class InvalidRequestError extends Error {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message);
  }

  /** Names the orders at fault when the body is a batch (`orders[2]...`). */
  static of(errors: FieldError[]): InvalidRequestError {
    const indexes = [...new Set(errors.map((e) => /^orders\[(\d+)\]/.exec(e.path)?.[1]).filter((i) => i !== undefined))];
    const which =
      indexes.length === 0
        ? 'The request is invalid'
        : `${indexes.length === 1 ? 'Order' : 'Orders'} ${indexes.map((i) => `#${i}`).join(', ')} ${indexes.length === 1 ? 'is' : 'are'} invalid`;
    return new InvalidRequestError(`${which}; nothing was stored. Fix the fields listed in errors.`, errors);
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
  if (errors.length > 0) throw InvalidRequestError.of(errors);
  return requests;
}
