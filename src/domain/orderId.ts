// Order ids. A request sent with an Idempotency-Key names its orders after the key, so every
// attempt of that request names the same orders and a write that already happened is recognised
// by its id; without a key every order gets a random id.
import { createHash, randomUUID } from 'node:crypto';

/** What makes an Idempotency-Key unique: the caller's API key, the route and the key itself. */
export interface IdempotencyScope {
  /** The API key id of the caller (null where keys are not enforced), so two clients' keys never collide. */
  caller: string | null;
  route: string;
  key: string;
}

/** The id of the request's `index`-th order: a UUID (version 8, RFC 9562) made of the SHA-256 of the scope and the index. */
export function derivedOrderId(scope: IdempotencyScope, index: number): string {
  // JSON keeps the parts apart: no choice of key can make two different scopes hash the same text.
  const digest = createHash('sha256').update(JSON.stringify([scope.caller, scope.route, scope.key, index])).digest();
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x80;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** How a request names its orders: after its Idempotency-Key when it has one, at random otherwise. */
export function orderIdsFor(scope: IdempotencyScope | undefined): (index: number) => string {
  return scope ? (index) => derivedOrderId(scope, index) : () => randomUUID();
}
