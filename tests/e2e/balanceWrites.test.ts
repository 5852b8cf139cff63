// Conditional balance writes over HTTP: ETag on every read and write of /account and /stock, and
// If-Match that refuses a stale read-modify-write with 412 and changes nothing, including when a
// shipment charged the same account between the read and the write.
import { call, finalStatus, uniqueId } from './support/stack';

interface BalanceView {
  balance: number;
}

const etagOf = (reply: { headers: Headers }) => reply.headers.get('etag') ?? '';

describe.each([
  ['/account', 'customerId', 250.5],
  ['/stock', 'productId', 40],
])('%s', (route, key, balance) => {
  const write = (id: string, value: number, ifMatch?: string) => call<BalanceView>('POST', route, { [key]: id, balance: value }, ifMatch === undefined ? {} : { 'If-Match': ifMatch });
  const read = (id: string) => call<BalanceView>('GET', `${route}/${id}`);

  it('answers every write and read with the balance’s ETag, a new one for each write', async () => {
    const id = uniqueId('etag');
    const created = await write(id, balance);
    const fetched = await read(id);
    const rewritten = await write(id, balance);
    expect(etagOf(created)).toMatch(/^"\d+"$/);
    expect(etagOf(fetched)).toBe(etagOf(created));
    expect(etagOf(rewritten)).not.toBe(etagOf(created));
  });

  it('writes with If-Match of the current ETag', async () => {
    const id = uniqueId('match');
    const tag = etagOf(await write(id, balance));
    const updated = await write(id, balance + 1, tag);
    expect(updated.status).toBe(200);
    expect((await read(id)).body.balance).toBe(balance + 1);
  });

  it('refuses a stale If-Match with 412 in the contract’s error shape and leaves the balance as it was', async () => {
    const id = uniqueId('stale');
    const stale = etagOf(await write(id, balance));
    await write(id, balance + 2);
    const refused = await write(id, 1, stale);
    expect(refused.status).toBe(412);
    expect(refused.body).toEqual({ message: expect.any(String) });
    expect((await read(id)).body.balance).toBe(balance + 2);
  });

  it('takes If-Match: * as "only if it exists": a new one is refused and not created', async () => {
    const id = uniqueId('star');
    expect((await write(id, balance, '*')).status).toBe(412);
    expect((await read(id)).status).toBe(404);
    await write(id, balance);
    expect((await write(id, balance + 3, '*')).status).toBe(200);
  });
});

/**
 * A fresh customer (credit 100) and product (stock 5), a read of one of their balances, then an
 * order of `qty` units for `total` shipped before anything else happens: the shipment falls
 * between the read and whatever write follows, deterministically.
 */
async function readThenShip(readPath: (ids: { customerId: string; productId: string }) => string, qty: number, total: number) {
  const ids = { customerId: uniqueId('topup'), productId: uniqueId('restock') };
  await call('POST', '/account', { customerId: ids.customerId, balance: 100 });
  await call('POST', '/stock', { productId: ids.productId, balance: 5 });
  const seen = await call<BalanceView>('GET', readPath(ids));
  const placed = await call<{ orderId: string }>('POST', '/order', { customerId: ids.customerId, items: [{ productId: ids.productId, qty }], totalAmount: total });
  expect((await finalStatus(placed.body.orderId)).status).toBe('SHIPPED');
  return { ...ids, seen };
}

describe('a balance computed from a read, written after a shipment charged it', () => {
  it('is refused with 412 for the account: the charge stays, and a write from a fresh read goes through', async () => {
    const { customerId, seen } = await readThenShip(({ customerId }) => `/account/${customerId}`, 1, 30);
    const topUp = await call('POST', '/account', { customerId, balance: seen.body.balance + 50 }, { 'If-Match': etagOf(seen) });
    expect(topUp.status).toBe(412);
    const after = await call<BalanceView>('GET', `/account/${customerId}`);
    expect(after.body.balance).toBe(70);

    const retried = await call<BalanceView>('POST', '/account', { customerId, balance: after.body.balance + 50 }, { 'If-Match': etagOf(after) });
    expect(retried.status).toBe(200);
    expect((await call<BalanceView>('GET', `/account/${customerId}`)).body.balance).toBe(120);
  });

  it('is refused with 412 for the stock: the deduction stays', async () => {
    const { productId, seen } = await readThenShip(({ productId }) => `/stock/${productId}`, 2, 10);
    expect((await call('POST', '/stock', { productId, balance: seen.body.balance + 10 }, { 'If-Match': etagOf(seen) })).status).toBe(412);
    expect((await call<BalanceView>('GET', `/stock/${productId}`)).body.balance).toBe(3);
  });
});
