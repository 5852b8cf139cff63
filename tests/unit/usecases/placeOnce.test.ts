import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { idempotencyStore } from '../../../src/adapters/idempotencyStore';
import type { Order } from '../../../src/domain/order';
import { answerBy, placeOnce, type PlacementRequest } from '../../../src/usecases/placeOnce';
import { fakeIdempotencyTable } from '../../support/fakeTables';
import { lambdaContext } from '../../support/factories';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');

describe('when an order request must be answered', () => {
  it('one second before API Gateway gives up, 29 s after it received the request, when the function has longer', () => {
    expect(answerBy(NOW - 4000, { now: NOW, remainingMs: 60_000 })).toBe(NOW - 4000 + 29_000 - 1000);
  });

  it('one second before the function’s own timeout, when that comes first', () => {
    expect(answerBy(NOW - 4000, { now: NOW, remainingMs: 3000 })).toBe(NOW + 3000 - 1000);
  });

  it('from the start of the invocation for an event received longer ago than any invocation lasts (replayed from a file)', () => {
    expect(answerBy(NOW - 16 * 60_000, { now: NOW, remainingMs: 60_000 })).toBe(NOW + 29_000 - 1000);
  });

  it('from now when API Gateway’s clock says it received the request in the future, and without a time of receipt', () => {
    expect(answerBy(NOW + 5000, { now: NOW, remainingMs: 60_000 })).toBe(NOW + 28_000);
    expect(answerBy(undefined, { now: NOW, remainingMs: 60_000 })).toBe(NOW + 28_000);
  });
});

describe('placing an order request once per Idempotency-Key', () => {
  const client = mockClient(DynamoDBClient);
  let records: ReturnType<typeof fakeIdempotencyTable>;
  let stored: Map<string, Order>;

  beforeEach(() => {
    client.reset();
    records = fakeIdempotencyTable(client);
    stored = new Map();
  });

  const requests = () =>
    placeOnce({
      ports: {
        async storeNewOrders(orders) {
          if (orders.some((order) => stored.has(order.orderId))) return { stored: false, found: orders.map((order) => stored.get(order.orderId)) };
          for (const order of orders) stored.set(order.orderId, order);
          return { stored: true };
        },
        withdrawOrders: async () => ({ withdrawn: true }),
        markAnswered: async () => true,
        announceOrders: async () => ({ unannounced: [] }),
        sweepSoon: async () => {},
      },
      idempotencyStore: idempotencyStore(new DynamoDBClient({}), 'idempotency'),
      deadlineSeconds: 300,
      view: (order) => ({ orderId: order.orderId, createdAt: order.createdAt }),
    });
  const request = (body = { customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: 1 }): PlacementRequest => ({ caller: null, route: 'placeOrder', key: 'k-1', body: [body] });

  it('answers a retry with the first answer, from the idempotency record, without placing again', async () => {
    const first = await requests().place(request(), lambdaContext());
    stored.clear();
    expect(await requests().place(request(), lambdaContext())).toEqual(first);
    expect(stored.size).toBe(0);
  });

  it('refuses the key with another body, and while the first attempt still runs', async () => {
    await requests().place(request(), lambdaContext());
    await expect(requests().place(request({ customerId: 'other', items: [{ productId: 'p', qty: 1 }], totalAmount: 1 }), lambdaContext())).rejects.toBeInstanceOf(IdempotencyValidationError);
    records.records.clear();
    records.failNext('UpdateItem', new Error('throttled'));
    const running = { ...request(), key: 'k-2' };
    // The first attempt's record stays in progress (its answer could not be saved).
    await requests().place(running, lambdaContext());
    await expect(requests().place(running, lambdaContext())).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
  });

  it('answers the orders it placed when only saving their answer failed', async () => {
    records.failNext('UpdateItem', new Error('throttled'));
    const answer = await requests().place(request(), lambdaContext());
    expect(answer.map((order) => order.orderId)).toEqual([...stored.keys()]);
  });

  it('places the orders without the idempotency store when it fails before the placement, under the ids the key names', async () => {
    const withStore = await requests().place({ ...request(), key: 'k-3' }, lambdaContext());
    stored.clear();
    records.records.clear();
    records.failNext('PutItem', new Error('DynamoDB unreachable'));
    const without = await requests().place({ ...request(), key: 'k-3' }, lambdaContext());
    expect(without.map((order) => order.orderId)).toEqual(withStore.map((order) => order.orderId));
    expect(stored.size).toBe(1);
  });
});
