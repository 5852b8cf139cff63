// What happens to an order that has stayed open (PENDING or READY_TO_SHIP) too long: its
// messages dead-lettered, or were lost before they were sent. Nothing accepted stays open forever.
import { OrderStatus } from './order';

export type OverdueAction = { kind: 'reject'; logLine: string } | { kind: 'request-shipping' } | { kind: 'none' };

/** READY_TO_SHIP orders get this many deadlines of shipment retries before they are given up. */
export const SHIPPING_DEADLINES = 3;

export function overdueAction(status: OrderStatus, openForSeconds: number, deadlineSeconds: number): OverdueAction {
  if (openForSeconds < deadlineSeconds) return { kind: 'none' };
  if (status === OrderStatus.Pending) {
    return { kind: 'reject', logLine: `Rejected: the credit and stock checks did not finish within ${deadlineSeconds} s (their messages are in a dead-letter queue)` };
  }
  if (status === OrderStatus.ReadyToShip) {
    if (openForSeconds < deadlineSeconds * SHIPPING_DEADLINES) return { kind: 'request-shipping' };
    return { kind: 'reject', logLine: `Rejected at shipping: the shipment could not be completed within ${deadlineSeconds * SHIPPING_DEADLINES} s` };
  }
  return { kind: 'none' };
}
