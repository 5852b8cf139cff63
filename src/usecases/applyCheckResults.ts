// Applying a batch of check results. The orders they name are read at once; each order's results
// are applied together, by one conditional write decided from the order as read (so the two
// results of an order that come in one batch record both checks and move it on in one write); and
// the orders that became ready to ship are requested at once. Every write holds only while the
// order is as it was read, so a result delivered twice, late, out of order or at the same moment as
// the other changes nothing twice; a write that finds the order changed is decided again from the
// order as it hands it back.
import { nextCheckStep, resultsByOrder, type CheckUpdate } from '../domain/checkResults';
import type { OrderToShip } from '../domain/messages';
import { OrderStatus, type CheckResult, type Order } from '../domain/order';
import { BatchOutcomes } from './batchOutcomes';

export interface CheckResultPorts {
  /** Orders by id: undefined where there is none; throws for an id that could not be read. */
  getOrders(orderIds: string[]): Promise<Pick<ReadonlyMap<string, Order>, 'get'>>;
  /** Makes the update if the order is still as it was decided from; otherwise the order as it now is (none: no such order). */
  applyCheckUpdate(orderId: string, update: CheckUpdate): Promise<{ applied: true } | { applied: false; current?: Order }>;
  /** Requests the shipments; for each, undefined once sent or why it could not be. */
  requestShipping(orders: OrderToShip[]): Promise<(Error | undefined)[]>;
}

export type CheckResultEffect = 'recorded' | 'ready-to-ship' | 'rejected' | 'shipping-requested-again' | 'ignored';

export interface CheckResultsReport {
  /** For each result: what it did (together with its order's other results in the batch), or why it failed. */
  outcomes: BatchOutcomes<CheckResult, CheckResultEffect>;
  /** The orders the batch rejected (as they were before), each with the result it was rejected for. */
  rejected: { order: Order; result: CheckResult }[];
}

/** How often one delivery decides again for an order that changed under it; an order changes only a few times in its life. */
const ATTEMPTS = 4;

interface Applied {
  effect: CheckResultEffect;
  /** The order, when its shipment is to be requested. */
  ship?: Order;
  rejected?: { order: Order; result: CheckResult };
}

async function applyToOrder(orderId: string, found: Order | undefined, results: CheckResult[], ports: CheckResultPorts): Promise<Applied> {
  let order = found;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (!order) return { effect: 'ignored' };
    const step = nextCheckStep(order, results);
    if (step.kind === 'none') return { effect: 'ignored' };
    if (step.kind === 'request-shipping-again') return { effect: 'shipping-requested-again', ship: order };
    const written = await ports.applyCheckUpdate(orderId, step.update);
    if (written.applied) {
      const { to, rejectedFor } = step.update;
      if (rejectedFor) return { effect: 'rejected', rejected: { order, result: rejectedFor } };
      return to.status === OrderStatus.ReadyToShip ? { effect: 'ready-to-ship', ship: order } : { effect: 'recorded' };
    }
    order = written.current;
  }
  throw new Error(`order ${orderId} kept changing while its check results were applied; they will be retried`);
}

export async function applyCheckResults(results: CheckResult[], ports: CheckResultPorts): Promise<CheckResultsReport> {
  const report: CheckResultsReport = { outcomes: new BatchOutcomes(results), rejected: [] };
  const byOrder = resultsByOrder(results);
  const settle = (settled: CheckResult[], outcome: PromiseSettledResult<CheckResultEffect>) =>
    settled.forEach((result) => (outcome.status === 'fulfilled' ? report.outcomes.succeed(result, outcome.value) : report.outcomes.fail(result, outcome.reason)));
  let orders: Awaited<ReturnType<CheckResultPorts['getOrders']>>;
  try {
    orders = await ports.getOrders([...byOrder.keys()]);
  } catch (error) {
    settle(results, { status: 'rejected', reason: error });
    return report;
  }
  // Per order, the results it got in this batch: what they did together.
  const applied = new BatchOutcomes<CheckResult[], Applied>([...byOrder.values()]);
  await Promise.all(
    [...byOrder].map(async ([orderId, own]) => {
      try {
        applied.succeed(own, await applyToOrder(orderId, orders.get(orderId), own, ports));
      } catch (error) {
        applied.fail(own, error);
      }
    }),
  );
  const toShip = applied.items.flatMap((own) => {
    const outcome = applied.get(own);
    return outcome?.status === 'fulfilled' && outcome.value.ship ? [{ own, order: outcome.value.ship }] : [];
  });
  if (toShip.length > 0) {
    // A result whose shipment request was not sent is retried: it finds its order READY_TO_SHIP and asks again.
    applied.failUnsent(toShip.map(({ own }) => own), await ports.requestShipping(toShip.map(({ order }) => order)));
  }
  for (const [own, outcome] of applied.entries()) {
    if (outcome.status === 'rejected') settle(own, outcome);
    else {
      settle(own, { status: 'fulfilled', value: outcome.value.effect });
      if (outcome.value.rejected) report.rejected.push(outcome.value.rejected);
    }
  }
  return report;
}
