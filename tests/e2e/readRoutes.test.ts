// Every read route, found and not found.
import { call, finalStatus, uniqueId } from './support/stack';

describe('the read routes', () => {
  const customerId = uniqueId('reader');
  const productId = uniqueId('item');
  let orderId = '';

  beforeAll(async () => {
    await call('POST', '/account', { customerId, balance: 50 });
    await call('POST', '/stock', { productId, balance: 5 });
    orderId = (await call<{ orderId: string }>('POST', '/order', { customerId, items: [{ productId, qty: 1 }], totalAmount: 10 })).body.orderId;
    await finalStatus(orderId);
  });

  it('GET /order/{orderId} returns the whole order', async () => {
    const { status, body } = await call('GET', `/order/${orderId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ orderId, customerId, items: [{ productId, qty: 1 }], totalAmount: 10, status: 'SHIPPED' });
    expect(body).toHaveProperty('createdAt');
    expect(body).toHaveProperty('updatedAt');
  });

  it('GET /order/{orderId}/status returns the status and the log lines in order', async () => {
    const { status, body } = await call<{ orderId: string; status: string; logs: string[] }>('GET', `/order/${orderId}/status`);
    expect(status).toBe(200);
    expect(body.orderId).toBe(orderId);
    expect(body.logs[0]).toMatch(/^Order received/);
    expect(body.logs.at(-1)).toMatch(/^Shipped/);
  });

  it('GET /account/{customerId} and GET /stock/{productId} return the balances', async () => {
    expect((await call('GET', `/account/${customerId}`)).body).toMatchObject({ customerId, balance: 40 });
    expect((await call('GET', `/stock/${productId}`)).body).toMatchObject({ productId, balance: 4 });
  });

  it.each([`/order/${uniqueId('none')}`, `/order/${uniqueId('none')}/status`, `/account/${uniqueId('none')}`, `/stock/${uniqueId('none')}`])(
    'GET %s answers 404 with a JSON message',
    async (path) => {
      const { status, body } = await call('GET', path);
      expect(status).toBe(404);
      expect(typeof body.message).toBe('string');
    },
  );
});
