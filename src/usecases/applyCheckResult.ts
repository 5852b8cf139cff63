import { OrderStatus, type CheckResult, type Order, type OrderProgress } from '../domain/order';

export interface CheckResultPorts {
  /** Records a passed check on a PENDING order that has no result for that check yet; returns the order as it now is (undefined: no such order). */
  recordPassedCheck(result: CheckResult): Promise<OrderProgress | undefined>;
  /** Rejects a PENDING order that has no result for that check yet; the order as rejected, undefined if it had moved on. */
  rejectForFailedCheck(result: CheckResult): Promise<Order | undefined>;
  /** PENDING with both checks passed -> READY_TO_SHIP; false if another invocation got there first. */
  markReadyToShip(orderId: string): Promise<boolean>;
  requestShipping(orderId: string): Promise<void>;
}

/** What applying a result did; a rejection comes with the order as it now is. */
export type CheckResultOutcome = { effect: 'rejected'; order: Order } | { effect: 'recorded' | 'ready-to-ship' | 'shipping-requested-again' | 'ignored' };

/**
 * Applies one check result. Every step is conditional on the order's current state, so a result
 * delivered twice, late or out of order changes nothing, and only one invocation can move the
 * order to READY_TO_SHIP.
 */
export async function applyCheckResult(result: CheckResult, ports: CheckResultPorts): Promise<CheckResultOutcome> {
  if (!result.passed) {
    const rejected = await ports.rejectForFailedCheck(result);
    return rejected ? { effect: 'rejected', order: rejected } : { effect: 'ignored' };
  }
  const order = await ports.recordPassedCheck(result);
  if (order === undefined) return { effect: 'ignored' };
  if (order.status === OrderStatus.Pending && order.creditCheck === 'PASSED' && order.stockCheck === 'PASSED') {
    if (!(await ports.markReadyToShip(result.orderId))) return { effect: 'ignored' };
    await ports.requestShipping(result.orderId);
    return { effect: 'ready-to-ship' };
  }
  if (order.status === OrderStatus.ReadyToShip) {
    // A repeat of a result seen before: the first delivery may have stopped between marking the
    // order and requesting shipping. Shipping is idempotent, so asking again is safe.
    await ports.requestShipping(result.orderId);
    return { effect: 'shipping-requested-again' };
  }
  return { effect: order.status === OrderStatus.Pending ? 'recorded' : 'ignored' };
}
