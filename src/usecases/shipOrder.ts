import { OrderStatus, type BusinessReason, type Order } from '../domain/order';
import { rejectionLog, type ShipmentOutcome } from '../domain/shipping';

export interface ShippingPorts {
  getOrder(orderId: string): Promise<Order | undefined>;
  /** One transaction: deduct credit and stock under conditions, and mark the order SHIPPED. */
  ship(order: Order): Promise<ShipmentOutcome>;
  /** READY_TO_SHIP -> REJECTED with the reason; false if the order had moved on. */
  rejectAtShipping(orderId: string, logLine: string): Promise<boolean>;
}

/** What shipping did; a final state comes with the order as it was read before it. */
export type ShippingResult = { effect: 'shipped'; order: Order } | { effect: 'rejected'; order: Order; reason: BusinessReason } | { effect: 'ignored' };

export async function shipOrder(orderId: string, ports: ShippingPorts): Promise<ShippingResult> {
  const order = await ports.getOrder(orderId);
  if (order === undefined || order.status !== OrderStatus.ReadyToShip) return { effect: 'ignored' };
  const outcome = await ports.ship(order);
  if (outcome.shipped) return { effect: 'shipped', order };
  if ('alreadyFinal' in outcome) return { effect: 'ignored' };
  return (await ports.rejectAtShipping(orderId, rejectionLog(outcome.refusal))) ? { effect: 'rejected', order, reason: outcome.refusal.reason } : { effect: 'ignored' };
}
