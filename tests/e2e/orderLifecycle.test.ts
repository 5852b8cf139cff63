// The whole pipeline over HTTP: API -> topic -> both checkers -> order update -> shipping.
import { call, finalStatus, uniqueId } from './support/stack';

interface OrderView {
  orderId: string;
  status: string;
  customerId: string;
  totalAmount: number;
  logs: string[];
}

async function account(customerId: string, balance: number) {
  expect((await call('POST', '/account', { customerId, balance })).status).toBe(200);
}

async function stock(productId: string, balance: number) {
  expect((await call('POST', '/stock', { productId, balance })).status).toBe(200);
}

describe('an order placed over HTTP', () => {
  it('is shipped, charging exactly its total and deducting exactly its items', async () => {
    const [customerId, first, second] = [uniqueId('cust'), uniqueId('prod'), uniqueId('prod')];
    await account(customerId, 1000);
    await stock(first, 100);
    await stock(second, 100);

    const placed = await call<OrderView>('POST', '/order', { customerId, items: [{ productId: first, qty: 2 }, { productId: second, qty: 1 }], totalAmount: 187.78 });
    expect(placed.status).toBe(202);
    expect(placed.body.status).toBe('PENDING');
    expect(placed.headers.get('location')).toBe(`/order/${placed.body.orderId}/status`);

    const final = await finalStatus(placed.body.orderId);
    expect(final.status).toBe('SHIPPED');
    expect(final.logs.at(-1)).toMatch(/^Shipped/);
    expect((await call('GET', `/account/${customerId}`)).body.balance).toBe(812.22);
    expect((await call('GET', `/stock/${first}`)).body.balance).toBe(98);
    expect((await call('GET', `/stock/${second}`)).body.balance).toBe(99);
  });

  it('keeps money exact: 0.1 + 0.2 charged from 0.3 leaves 0', async () => {
    const [customerId, productId] = [uniqueId('cust'), uniqueId('prod')];
    await account(customerId, 0.3);
    await stock(productId, 2);
    const { body } = await call<{ orders: OrderView[] }>('POST', '/orders', {
      orders: [0.1, 0.2].map((totalAmount) => ({ customerId, items: [{ productId, qty: 1 }], totalAmount })),
    });
    const statuses = await Promise.all(body.orders.map((order) => finalStatus(order.orderId)));
    expect(statuses.map((status) => status.status)).toEqual(['SHIPPED', 'SHIPPED']);
    expect((await call('GET', `/account/${customerId}`)).body.balance).toBe(0);
    expect((await call('GET', `/stock/${productId}`)).body.balance).toBe(0);
  });
});

describe('a batch of orders for several customers', () => {
  it('ships the order of a customer with credit and rejects the order of a customer without an account', async () => {
    const [payer, stranger, productId] = [uniqueId('payer'), uniqueId('stranger'), uniqueId('prod')];
    await account(payer, 500);
    await stock(productId, 10);

    const placed = await call<{ orders: OrderView[] }>('POST', '/orders', {
      orders: [
        { customerId: payer, items: [{ productId, qty: 3 }], totalAmount: 100.5 },
        { customerId: stranger, items: [{ productId, qty: 1 }], totalAmount: 20 },
      ],
    });
    expect(placed.status).toBe(202);
    expect(placed.body.orders.map((order) => order.customerId)).toEqual([payer, stranger]);

    const [shipped, rejected] = await Promise.all(placed.body.orders.map((order) => finalStatus(order.orderId)));
    expect(shipped?.status).toBe('SHIPPED');
    expect(rejected?.status).toBe('REJECTED');
    expect(rejected?.logs.join('\n')).toMatch(new RegExp(stranger));
    expect((await call('GET', `/account/${payer}`)).body.balance).toBe(399.5);
    expect((await call('GET', `/stock/${productId}`)).body.balance).toBe(7);
    expect((await call('GET', `/account/${stranger}`)).status).toBe(404);
  });
});
