import { OrderStatus, type Order } from '../domain/order';
import { rejectionLog, type ShipmentOutcome } from '../domain/shipping';

export interface ShippingPorts {
  getOrder(orderId: string): Promise<Order | undefined>;
  /** One transaction: deduct credit and stock under conditions, and mark the order SHIPPED. */
  ship(order: Order): Promise<ShipmentOutcome>;
  /** READY_TO_SHIP -> REJECTED with the reason; false if the order had moved on. */
  rejectAtShipping(orderId: string, logLine: string): Promise<boolean>;
}

export type ShippingEffect = 'shipped' | 'rejected' | 'ignored';

export async function shipOrder(orderId: string, ports: ShippingPorts): Promise<ShippingEffect> {
  const order = await ports.getOrder(orderId);
  if (order === undefined || order.status !== OrderStatus.ReadyToShip) return 'ignored';
  const outcome = await ports.ship(order);
  if (outcome.shipped) return 'shipped';
  if ('alreadyFinal' in outcome) return 'ignored';
  return (await ports.rejectAtShipping(orderId, rejectionLog(outcome.refusal))) ? 'rejected' : 'ignored';
}
