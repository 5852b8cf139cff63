// Applying a batch of check results. The orders they name are read at once; each order's results
// are applied together, by one conditional write decided from the order as read (so the two
// results of an order that come in one batch record both checks and move it on in one write); and
// the orders that became ready to ship are requested at once. Every write holds only while the
// order is as it was read, so a result delivered twice, late, out of order or at the same moment as
// the other changes nothing twice; a write that finds the order changed is decided again from the
// order as it hands it back.
import { nextCheckStep, positionsByOrder, type CheckUpdate } from '../domain/checkResults';
import type { OrderToShip } from '../domain/messages';
import { OrderStatus, type CheckResult, type Order } from '../domain/order';

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
  /** For each result, in batch order: what it did (together with its order's other results in the batch), or why it failed. */
  outcomes: PromiseSettledResult<CheckResultEffect>[];
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
  const positions = positionsByOrder(results);
  const report: CheckResultsReport = { outcomes: [], rejected: [] };
  const settle = (at: number[], outcome: PromiseSettledResult<CheckResultEffect>) => at.forEach((position) => (report.outcomes[position] = outcome));
  let orders: Awaited<ReturnType<CheckResultPorts['getOrders']>>;
  try {
    orders = await ports.getOrders([...positions.keys()]);
  } catch (error) {
    settle(results.map((_, position) => position), { status: 'rejected', reason: error });
    return report;
  }
  const applied = await Promise.all(
    [...positions].map(async ([orderId, at]): Promise<{ at: number[]; outcome: PromiseSettledResult<Applied> }> => {
      try {
        return { at, outcome: { status: 'fulfilled', value: await applyToOrder(orderId, orders.get(orderId), at.map((position) => results[position] as CheckResult), ports) } };
      } catch (error) {
        return { at, outcome: { status: 'rejected', reason: error } };
      }
    }),
  );
  const shipping = applied.flatMap((entry) => (entry.outcome.status === 'fulfilled' && entry.outcome.value.ship ? [{ entry, order: entry.outcome.value.ship }] : []));
  const unsent = shipping.length > 0 ? await ports.requestShipping(shipping.map(({ order }) => order)) : [];
  // A result whose shipment request was not sent is retried: it finds its order READY_TO_SHIP and asks again.
  shipping.forEach(({ entry }, index) => {
    const failure = unsent[index];
    if (failure) entry.outcome = { status: 'rejected', reason: failure };
  });
  for (const { at, outcome } of applied) {
    if (outcome.status === 'rejected') settle(at, outcome);
    else {
      settle(at, { status: 'fulfilled', value: outcome.value.effect });
      if (outcome.value.rejected) report.rejected.push(outcome.value.rejected);
    }
  }
  return report;
}
