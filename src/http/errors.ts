// Errors that carry an HTTP status, and the one place where any error becomes a response.
import { StaleBalanceError } from '../adapters/balanceStore';
import { BrokenRulesError, type FieldError } from '../domain/orderRequest';
import { IdempotencyKeyReusedError, OrdersNotStoredError } from '../usecases/placeOrders';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** A 400: the request breaks field rules (of the contract's schema, or the domain's). */
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

export const notFound = (what: string) => new HttpError(404, `${what} was not found.`);

export interface ErrorResponse {
  statusCode: number;
  body: { message: string; errors?: FieldError[] };
  headers?: Record<string, string>;
}

/** Maps domain and library errors to the contract's JSON error; anything else is a 500 that reveals nothing. */
export function toErrorResponse(error: unknown): ErrorResponse & { unexpected: boolean } {
  const response = (statusCode: number, message: string, errors?: FieldError[], headers?: Record<string, string>) => ({
    statusCode,
    body: errors && errors.length > 0 ? { message, errors } : { message },
    ...(headers ? { headers } : {}),
    unexpected: statusCode >= 500,
  });
  if (error instanceof HttpError) return response(error.statusCode, error.message, error.errors, error.headers);
  if (error instanceof InvalidRequestError) return response(400, error.message, error.errors);
  if (error instanceof BrokenRulesError) return toErrorResponse(InvalidRequestError.of(error.errors));
  // Matched by name: importing Powertools idempotency here would load it into every API function.
  const name = error instanceof Error ? error.name : '';
  if (name === 'IdempotencyValidationError' || error instanceof IdempotencyKeyReusedError) {
    return response(409, 'This Idempotency-Key was already used with a different request body; use a new key for a new request.');
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return response(409, 'A request with this Idempotency-Key is still being processed; retry in a moment.');
  }
  if (error instanceof StaleBalanceError) return response(412, error.message);
  if (error instanceof OrdersNotStoredError && error.mayBeStored) {
    // Never "none will be processed" where the orders may exist (docs/guarantees.md, residual cases).
    return response(503, 'The orders may or may not have been stored. Retry with the same Idempotency-Key to find out; without one, they may still be processed.');
  }
  if (error instanceof OrdersNotStoredError) {
    return response(503, 'The orders could not be stored; none of them will be processed. Retry, with the same Idempotency-Key if you sent one.');
  }
  return response(500, 'The request could not be processed because of an internal error; retry later.');
}
