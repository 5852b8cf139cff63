// The Idempotency-Key header on POST /order and POST /orders.
import { randomUUID } from 'node:crypto';
import { call, uniqueId } from './support/stack';

const order = (customerId: string, totalAmount = 5) => ({ customerId, items: [{ productId: uniqueId('p'), qty: 1 }], totalAmount });

describe('Idempotency-Key', () => {
  it('answers a repeated POST /order with the first answer and the same orderId', async () => {
    const key = randomUUID();
    const body = order(uniqueId('idem'));
    const first = await call<{ orderId: string }>('POST', '/order', body, { 'Idempotency-Key': key });
    const again = await call<{ orderId: string }>('POST', '/order', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.orderId).toBe(first.body.orderId);
  });

  it('answers a repeated POST /orders with the same orderIds', async () => {
    const key = randomUUID();
    const body = { orders: [order(uniqueId('idem')), order(uniqueId('idem'))] };
    const first = await call<{ orders: { orderId: string }[] }>('POST', '/orders', body, { 'Idempotency-Key': key });
    const again = await call<{ orders: { orderId: string }[] }>('POST', '/orders', body, { 'Idempotency-Key': key });
    expect(again.body.orders.map((placed) => placed.orderId)).toEqual(first.body.orders.map((placed) => placed.orderId));
  });

  it('refuses the same key with a different body with 409', async () => {
    const key = randomUUID();
    const customerId = uniqueId('idem');
    expect((await call('POST', '/order', order(customerId, 5), { 'Idempotency-Key': key })).status).toBe(202);
    const conflict = await call('POST', '/order', order(customerId, 6), { 'Idempotency-Key': key });
    expect(conflict.status).toBe(409);
    expect(typeof conflict.body.message).toBe('string');
  });
});
