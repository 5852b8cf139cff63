// The AWS-scale model from counted writes and invocations. Run: npm run test:bench
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsScaleModel, lambdaScale, type OrderKeys } from './awsScale';
import { emptyInvocations } from './observed';
import type { PartitionTally } from './partitions';

/** 100 orders, each naming one of two customers and the product p1. */
const keys: OrderKeys = {
  orderIds: new Set(Array.from({ length: 100 }, (_, index) => `o${index}`)),
  customers: new Map([
    ['c1', 50],
    ['c2', 50],
  ]),
  products: new Map([['p1', 100]]),
};

const tally: PartitionTally = {
  orders: { attribute: 'orderId', units: Object.fromEntries([...keys.orderIds].map((id) => [id, 3])), unnamedUnits: 0 },
  'orders/OpenOrders': { attribute: 'sweepShard', units: { '1': 60, '2': 40 }, unnamedUnits: 100 },
  stock: { attribute: 'productId', units: { p1: 200 }, unnamedUnits: 0 },
  accounts: { attribute: 'customerId', units: { c1: 100, c2: 100 }, unnamedUnits: 0 },
};

const model = () => awsScaleModel('100 orders/s', { partitions: tally, invocations: {} }, keys, 100, { logicalName: (target) => target, functionIds: {}, caps: {} });

describe('awsScaleModel', () => {
  it('tells keys by what the orders named: their own ids, customers, products, or shared keys', () => {
    assert.deepEqual(
      model().partitions.map((family) => [family.target, family.keyedBy, family.keys]),
      [
        ['accounts', 'customer', 2],
        ['orders', 'order', 100],
        ['orders/OpenOrders', 'shared', 2],
        ['stock', 'product', 1],
      ],
    );
  });

  it('bounds orders spread over many customers and products by the busiest shared key, unnamed removals spread like the named writes', () => {
    const shared = model().partitions.find((family) => family.target === 'orders/OpenOrders');
    // Key 1: 60 named units, and 60 % of the 100 unnamed ones, over 100 orders.
    assert.deepEqual(shared?.busiest, { key: '1', unitsPerOrder: 1.2 });
    assert.equal(shared?.spreadOrdersPerSecond, 833);
    assert.deepEqual(model().spread, { ordersPerSecond: 833, boundBy: 'orders/OpenOrders (sweepShard, 2 shared keys)' });
  });

  it('bounds one hot product by what each order naming it writes to its key, or the shared keys if they bind first', () => {
    const stock = model().partitions.find((family) => family.target === 'stock');
    assert.equal(stock?.unitsPerNamingOrder, 2);
    assert.equal(stock?.hotOrdersPerSecond, 500);
    assert.equal(stock?.spreadOrdersPerSecond, undefined);
    assert.deepEqual(model().hotProduct, { ordersPerSecond: 500, boundBy: "stock (productId, one product's key)" });
  });
});

describe('lambdaScale', () => {
  it("gives each function's concurrency at 1,000 orders/s from its invocations per order and mean duration, and what its cap allows", () => {
    const shipper = { ...emptyInvocations(), invocations: 50, billedMs: 1000, durationSamplesMs: Array.from({ length: 50 }, () => 20) };
    const scale = lambdaScale({ 'stack-ShipOrderFunction': shipper }, 100, { 'stack-ShipOrderFunction': 'ShipOrderFunction' }, { ShipOrderFunction: { concurrency: 5, by: 'MaximumConcurrency' } });
    // 0.5 invocations of 20 ms per order: 10 ms of execution per order.
    assert.deepEqual(scale.functions, [{ logicalId: 'ShipOrderFunction', invocationsPerOrder: 0.5, meanMs: 20, p99Ms: 20, concurrencyAtModelRate: 10, cap: { concurrency: 5, by: 'MaximumConcurrency', ordersPerSecond: 500 } }]);
    assert.equal(scale.concurrencyAtModelRate, 10);
  });
});
