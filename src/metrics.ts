// The business metrics every function emits, as CloudWatch embedded metric format (EMF) lines that
// Powertools Metrics writes to the function's log. Each metric's name, unit and dimensions are
// defined here once; handlers say what happened to an order, not how it is measured.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Check, RejectionReason } from './domain/order';
import type { SweepEffect } from './usecases/sweepOrders';

/** Every metric: its unit and the dimensions of its own, beside Powertools' `service`. */
export const METRICS = {
  /** Orders newly accepted by POST /order or /orders. */
  OrdersPlaced: { unit: MetricUnit.Count, dimensions: [] },
  /** Orders answered again to a retry of the request that placed them (same Idempotency-Key and body): nothing new stored. */
  OrdersReplayed: { unit: MetricUnit.Count, dimensions: [] },
  /** Orders stored but not announced in time by the order API: the sweeper announces them late. */
  OrdersUnannounced: { unit: MetricUnit.Count, dimensions: [] },
  /** Checks run, by check (credit, stock) and outcome (passed, failed). */
  CheckResults: { unit: MetricUnit.Count, dimensions: ['Check', 'Outcome'] },
  OrdersShipped: { unit: MetricUnit.Count, dimensions: [] },
  /** Orders rejected, by reason: a business reason, or dead-lettered. */
  OrdersRejected: { unit: MetricUnit.Count, dimensions: ['Reason'] },
  /** From the order's createdAt to its final state (shipped, rejected), at the write that made it final. */
  TimeToFinalState: { unit: MetricUnit.Milliseconds, dimensions: ['Outcome'] },
  /** Shipping transactions tried again after another transaction or throttling cancelled them. */
  ShippingTransactionRetries: { unit: MetricUnit.Count, dimensions: [] },
  /** Open orders whose time had come that the sweeper moved on, by what it did. */
  OpenOrdersMovedOn: { unit: MetricUnit.Count, dimensions: ['Action'] },
  /** Open orders the sweeper could not move on this run (still due: the next run tries again). */
  OpenOrdersNotMovedOn: { unit: MetricUnit.Count, dimensions: [] },
  /** Sweeper runs that ran out of time before they had seen every due order. */
  SweepsOutOfTime: { unit: MetricUnit.Count, dimensions: [] },
  /** Dead letters the sweeper read in one run, over all four dead-letter queues (at most 100 a queue). */
  DeadLettersSeen: { unit: MetricUnit.Count, dimensions: [] },
  /** Dead letters that name no order (malformed, an unknown id, or one no order can be read under): left alone, for a person to look at. */
  DeadLettersNamingNoOrder: { unit: MetricUnit.Count, dimensions: [] },
  /** Queue messages whose handling failed: retried alone, dead-lettered after MaxReceiveCount deliveries. Lambda's Errors do not count them. */
  MessagesFailed: { unit: MetricUnit.Count, dimensions: [] },
} as const;

export type MetricName = keyof typeof METRICS;
type DimensionsOf<Name extends MetricName> = Record<(typeof METRICS)[Name]['dimensions'][number], string>;

/** Namespace from POWERTOOLS_METRICS_NAMESPACE, the `service` dimension from POWERTOOLS_SERVICE_NAME. */
const metrics = new Metrics();

/**
 * EMF gives every metric of one line the same dimension values, so a metric whose dimensions differ
 * from one record of a batch to the next (a rejection's Reason, a check's Outcome) is kept apart for
 * each combination of values, with those as its default dimensions, and written with the rest when
 * the invocation ends: one line per combination holding every record's values, where Powertools'
 * singleMetric() would write a line per value.
 */
const withDimensions = new Map<string, Metrics>();

function add<Name extends MetricName>(name: Name, value: number, dimensions: DimensionsOf<Name>): void {
  let target = metrics;
  if (Object.keys(dimensions).length > 0) {
    const key = JSON.stringify(dimensions);
    target = withDimensions.get(key) ?? new Metrics({ defaultDimensions: dimensions });
    withDimensions.set(key, target);
  }
  target.addMetric(name, METRICS[name].unit, value);
}

const sincePlaced = (createdAt: string): number => Math.max(0, Date.now() - Date.parse(createdAt));

function finalState(outcome: 'shipped' | 'rejected', createdAt: string): void {
  // An order read back without a parseable createdAt has no age to report.
  if (!Number.isNaN(Date.parse(createdAt))) add('TimeToFinalState', sincePlaced(createdAt), { Outcome: outcome });
}

/** What the functions report, in the order's own terms. */
export const orderMetrics = {
  placed(count: number, { replayed }: { replayed: boolean }): void {
    if (count > 0) add(replayed ? 'OrdersReplayed' : 'OrdersPlaced', count, {});
  },
  unannounced(count: number): void {
    if (count > 0) add('OrdersUnannounced', count, {});
  },
  checked({ check, passed }: { check: Check; passed: boolean }): void {
    add('CheckResults', 1, { Check: check.toLowerCase(), Outcome: passed ? 'passed' : 'failed' });
  },
  shipped(order: { createdAt: string }): void {
    add('OrdersShipped', 1, {});
    finalState('shipped', order.createdAt);
  },
  rejected(reason: RejectionReason, order: { createdAt: string }): void {
    add('OrdersRejected', 1, { Reason: reason });
    finalState('rejected', order.createdAt);
  },
  shippingTransactionRetried(): void {
    add('ShippingTransactionRetries', 1, {});
  },
  /** One sweeper run: what it did with the open orders whose time had come, and the dead letters it read. */
  swept(run: { movedOn: SweepEffect[]; notMovedOn: number; outOfTime: boolean; deadLettersSeen: number; deadLettersNamingNoOrder: number }): void {
    for (const action of run.movedOn) add('OpenOrdersMovedOn', 1, { Action: action });
    // Written every run, zeros included, so that a graph or an alarm sees a quiet minute as 0 rather than as no data.
    add('OpenOrdersNotMovedOn', run.notMovedOn, {});
    add('SweepsOutOfTime', run.outOfTime ? 1 : 0, {});
    add('DeadLettersSeen', run.deadLettersSeen, {});
    add('DeadLettersNamingNoOrder', run.deadLettersNamingNoOrder, {});
  },
  messageFailed(): void {
    add('MessagesFailed', 1, {});
  },
};

/**
 * Wraps a function's handler as Powertools' logMetrics does: the cold start counted once per
 * execution environment (Powertools' ColdStart, with function_name), and every metric of the
 * invocation, a whole SQS batch included, written once when it ends, however it ends. (Powertools
 * writes a line early only for a metric that reaches the 100 values an EMF line may hold.)
 */
export function publishingMetrics<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>) {
  return async (event: Event, context: Context): Promise<Result> => {
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handler(event, context);
    } finally {
      for (const stored of [metrics, ...withDimensions.values()]) {
        // Only what was recorded: Powertools warns on every flush that has nothing to write.
        if (stored.hasStoredMetrics()) stored.publishStoredMetrics();
      }
    }
  };
}
