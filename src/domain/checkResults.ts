// What check results do to an order. The results of one batch are taken together per order and
// applied to the order as it stands, as if one after another, so that one conditional write records
// them and takes the order as far as they allow: READY_TO_SHIP once both checks passed, REJECTED as
// soon as one failed (its line last in the log). A result already recorded, or one for an order
// that has moved on, changes nothing.
import { checkAttribute, OrderStatus, READY_TO_SHIP_LOG, type CheckResult, type OrderProgress } from './order';

/** One conditional write: made only while the order is still exactly as `from`. */
export interface CheckUpdate {
  from: OrderProgress;
  to: OrderProgress;
  /** The results it records, in the order they came. */
  recorded: CheckResult[];
  /** The lines it appends to the order's log. */
  logLines: string[];
  /** The failed result the order is rejected for, when it is. */
  rejectedFor?: CheckResult;
}

export type CheckStep =
  | { kind: 'update'; update: CheckUpdate }
  /**
   * A passed result for an order already READY_TO_SHIP: a repeat of one seen before, whose first
   * delivery may have stopped between marking the order and requesting its shipment. Shipping is
   * idempotent, so asking again is safe.
   */
  | { kind: 'request-shipping-again' }
  | { kind: 'none' };

/** What these results (one order's, in the order they came, repeats included) do to the order as it is now. */
export function nextCheckStep(order: OrderProgress, results: readonly CheckResult[]): CheckStep {
  if (order.status === OrderStatus.ReadyToShip) return results.some((result) => result.passed) ? { kind: 'request-shipping-again' } : { kind: 'none' };
  if (order.status !== OrderStatus.Pending) return { kind: 'none' };
  const from = progressOf(order);
  const to = progressOf(order);
  const recorded: CheckResult[] = [];
  let rejectedFor: CheckResult | undefined;
  // As if applied one after another: the first result of a check counts (a repeat, or a second
  // opinion, changes nothing), and once one has failed the order is rejected and the rest is moot.
  for (const result of results) {
    const attribute = checkAttribute(result.check);
    if (to[attribute] !== undefined) continue;
    to[attribute] = result.passed ? 'PASSED' : 'FAILED';
    recorded.push(result);
    if (!result.passed) {
      rejectedFor = result;
      break;
    }
  }
  if (rejectedFor) to.status = OrderStatus.Rejected;
  else if (to.creditCheck === 'PASSED' && to.stockCheck === 'PASSED') to.status = OrderStatus.ReadyToShip;
  // Nothing new, unless the order had both checks recorded without being moved on (see the sweeper).
  if (recorded.length === 0 && to.status === from.status) return { kind: 'none' };
  const logLines = [...recorded.map((result) => result.detail), ...(to.status === OrderStatus.ReadyToShip ? [READY_TO_SHIP_LOG] : [])];
  return { kind: 'update', update: { from, to, recorded, logLines, ...(rejectedFor ? { rejectedFor } : {}) } };
}

const progressOf = ({ status, creditCheck, stockCheck }: OrderProgress): OrderProgress => ({
  status,
  ...(creditCheck ? { creditCheck } : {}),
  ...(stockCheck ? { stockCheck } : {}),
});

/** A batch's messages by order: each order's own, in the order they came. */
export function resultsByOrder<Message extends { orderId: string }>(messages: readonly Message[]): Map<string, Message[]> {
  const byOrder = new Map<string, Message[]>();
  for (const message of messages) byOrder.set(message.orderId, [...(byOrder.get(message.orderId) ?? []), message]);
  return byOrder;
}
