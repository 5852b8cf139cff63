// The AWS-scale model: what limits this design on AWS, from what one step of the run counted.
//
// DynamoDB serves at most 1,000 write units a second per partition, and a partition key's items
// never spread over more than one partition, so the busiest partition key of a table or index
// bounds the orders a second the design can take. Each table's and index's writes are grouped by
// partition key (partitions.ts) and the keys told apart by what they are: an order's own key, a
// customer's, a product's (the step's orders name them), or a key that orders share whatever they
// name (an index shard, a status). With orders spread over many customers and products, only the
// latter two bound the design; with every order naming one product, that product's key does too.
//
// On the Lambda side, each function's invocations per order and its durations give, by Little's
// law, the concurrency it needs at a given rate; a cap in the template (an event source's
// MaximumConcurrency, reserved concurrency) bounds the rate it can serve.
import type { InvocationTally } from './observed';
import type { PartitionTally } from './partitions';
import { percentile, round } from './stats';

export const PARTITION_WRITE_UNITS_PER_SECOND = 1000;
export const MODEL_RATE = 1000;
export const TARGET_SPREAD_ORDERS_PER_SECOND = 10_000;
export const TARGET_HOT_PRODUCT_ORDERS_PER_SECOND = 300;

/** What the step's accepted orders named: their ids, and how many orders named each customer and product. */
export interface OrderKeys {
  orderIds: Set<string>;
  customers: Map<string, number>;
  products: Map<string, number>;
}

export type KeyKind = 'order' | 'customer' | 'product' | 'shared';

export interface PartitionFamily {
  /** `OrderTable` or `OrderTable/<index>`, by logical id. */
  target: string;
  attribute: string;
  keyedBy: KeyKind;
  keys: number;
  /** Write units per order on this table or index in all. */
  unitsPerOrder: number;
  /** Its busiest partition key, with the writes that named no partition spread like those that did. */
  busiest: { key: string; unitsPerOrder: number };
  /** For a customer's or product's key: the units one key takes per order that names it. */
  unitsPerNamingOrder?: number;
  /** Orders/s at which the busiest key reaches 1,000 WCU/s with orders spread over many customers and products (none: it grows with their number). */
  spreadOrdersPerSecond?: number;
  /** Orders/s at which one customer's or product's key reaches 1,000 WCU/s when every order names it. */
  hotOrdersPerSecond?: number;
}

export interface LambdaScale {
  logicalId: string;
  invocationsPerOrder: number;
  meanMs: number;
  p99Ms: number;
  /** Concurrent executions at MODEL_RATE orders/s, with these durations. */
  concurrencyAtModelRate: number;
  /** What the template caps its concurrency at, and the orders/s that cap allows with these durations. */
  cap?: { concurrency: number; by: string; ordersPerSecond: number };
}

export interface AwsScaleModel {
  step: string;
  orders: number;
  partitions: PartitionFamily[];
  spread: { ordersPerSecond: number; boundBy: string };
  hotProduct: { ordersPerSecond: number; boundBy: string };
  lambda: { functions: LambdaScale[]; invocationsPerOrder: number; concurrencyAtModelRate: number };
}

/** Concurrency caps by function logical id, as the template sets them. */
export type ConcurrencyCaps = Record<string, { concurrency: number; by: string }>;

function keyKind(units: Record<string, number>, keys: OrderKeys): KeyKind {
  const shares: Record<Exclude<KeyKind, 'shared'>, number> = { order: 0, customer: 0, product: 0 };
  let total = 0;
  for (const [value, amount] of Object.entries(units)) {
    total += amount;
    if (keys.orderIds.has(value)) shares.order += amount;
    else if (keys.customers.has(value)) shares.customer += amount;
    else if (keys.products.has(value)) shares.product += amount;
  }
  const [kind, share] = (Object.entries(shares) as [KeyKind, number][]).sort((a, b) => b[1] - a[1])[0] ?? ['shared', 0];
  return total > 0 && share >= total / 2 ? kind : 'shared';
}

const limit = (unitsPerOrder: number) => (unitsPerOrder > 0 ? PARTITION_WRITE_UNITS_PER_SECOND / unitsPerOrder : Number.POSITIVE_INFINITY);

function partitionFamilies(tally: PartitionTally, keys: OrderKeys, orders: number, logicalName: (target: string) => string): PartitionFamily[] {
  const perOrder = (units: number) => units / Math.max(1, orders);
  return Object.entries(tally)
    .map(([target, writes]) => {
      const named = Object.values(writes.units).reduce((total, units) => total + units, 0);
      const [key = '(none named)', units = 0] = Object.entries(writes.units).sort((a, b) => b[1] - a[1])[0] ?? [];
      // Writes that named no partition (removals from an index) went where earlier writes put the items.
      const busiest = named > 0 ? units * (1 + writes.unnamedUnits / named) : writes.unnamedUnits;
      const keyedBy = keyKind(writes.units, keys);
      const family: PartitionFamily = {
        target: logicalName(target),
        attribute: writes.attribute,
        keyedBy,
        keys: Object.keys(writes.units).length,
        unitsPerOrder: round(perOrder(named + writes.unnamedUnits), 3),
        busiest: { key, unitsPerOrder: round(perOrder(busiest), 4) },
      };
      if (keyedBy === 'customer' || keyedBy === 'product') {
        const naming = keyedBy === 'customer' ? keys.customers : keys.products;
        const occurrences = Object.keys(writes.units).reduce((total, value) => total + (naming.get(value) ?? 0), 0);
        const unitsPerNamingOrder = (named + writes.unnamedUnits) / Math.max(1, occurrences);
        return { ...family, unitsPerNamingOrder: round(unitsPerNamingOrder, 3), hotOrdersPerSecond: round(limit(unitsPerNamingOrder), 0) };
      }
      return { ...family, spreadOrdersPerSecond: round(limit(perOrder(busiest)), 0) };
    })
    .sort((a, b) => a.target.localeCompare(b.target));
}

function tightest(candidates: { ordersPerSecond: number; boundBy: string }[]): { ordersPerSecond: number; boundBy: string } {
  return [...candidates].sort((a, b) => a.ordersPerSecond - b.ordersPerSecond)[0] ?? { ordersPerSecond: Number.POSITIVE_INFINITY, boundBy: 'no DynamoDB writes counted' };
}

export function lambdaScale(invocations: InvocationTally, orders: number, functionIds: Record<string, string>, caps: ConcurrencyCaps): AwsScaleModel['lambda'] {
  const functions: LambdaScale[] = Object.entries(invocations)
    .filter(([, stats]) => stats.invocations > 0)
    .map(([name, stats]) => {
      const logicalId = functionIds[name] ?? name;
      const invocationsPerOrder = stats.invocations / Math.max(1, orders);
      const samples = stats.durationSamplesMs;
      const meanMs = samples.length > 0 ? samples.reduce((total, ms) => total + ms, 0) / samples.length : stats.billedMs / stats.invocations;
      const secondsPerOrder = (invocationsPerOrder * meanMs) / 1000;
      const cap = caps[logicalId];
      return {
        logicalId,
        invocationsPerOrder: round(invocationsPerOrder, 3),
        meanMs: round(meanMs, 1),
        p99Ms: round(percentile(samples, 99), 1),
        concurrencyAtModelRate: round(MODEL_RATE * secondsPerOrder, 1),
        ...(cap ? { cap: { ...cap, ordersPerSecond: round(secondsPerOrder > 0 ? cap.concurrency / secondsPerOrder : Number.POSITIVE_INFINITY, 0) } } : {}),
      };
    })
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
  return {
    functions,
    invocationsPerOrder: round(functions.reduce((total, fn) => total + fn.invocationsPerOrder, 0), 3),
    concurrencyAtModelRate: round(functions.reduce((total, fn) => total + fn.concurrencyAtModelRate, 0), 1),
  };
}

export function awsScaleModel(
  step: string,
  counted: { partitions: PartitionTally; invocations: InvocationTally },
  keys: OrderKeys,
  orders: number,
  names: { logicalName: (target: string) => string; functionIds: Record<string, string>; caps: ConcurrencyCaps },
): AwsScaleModel {
  const partitions = partitionFamilies(counted.partitions, keys, orders, names.logicalName);
  const describe = (family: PartitionFamily) => `${family.target} (${family.attribute}, ${family.keyedBy === 'shared' ? `${family.keys} shared keys` : `one ${family.keyedBy}'s key`})`;
  const spread = tightest(partitions.filter((family) => family.spreadOrdersPerSecond !== undefined).map((family) => ({ ordersPerSecond: family.spreadOrdersPerSecond as number, boundBy: describe(family) })));
  const hotProduct = tightest([spread, ...partitions.filter((family) => family.keyedBy === 'product').map((family) => ({ ordersPerSecond: family.hotOrdersPerSecond as number, boundBy: describe(family) }))]);
  return { step, orders, partitions, spread, hotProduct, lambda: lambdaScale(counted.invocations, orders, names.functionIds, names.caps) };
}
