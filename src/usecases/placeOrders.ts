import { newOrder, type Order, type OrderRequest } from '../domain/order';

export interface OrderPlacementPorts {
  newOrderId(): string;
  now(): string;
  saveOrders(orders: Order[]): Promise<void>;
  announceOrders(orders: Order[]): Promise<void>;
  /** Removes orders that were saved but could not be announced, while nothing has happened to them. */
  discardOrders(orders: Order[]): Promise<void>;
}

export class OrdersNotQueuedError extends Error {}

/**
 * Stores the orders, then announces them for checking. An order that is stored but cannot be
 * announced would wait forever, so if announcing fails the orders are discarded again and the
 * caller is told to retry.
 */
export async function placeOrders(requests: OrderRequest[], ports: OrderPlacementPorts): Promise<Order[]> {
  const now = ports.now();
  const orders = requests.map((request) => newOrder(request, ports.newOrderId(), now));
  await ports.saveOrders(orders);
  try {
    await ports.announceOrders(orders);
  } catch (error) {
    await ports.discardOrders(orders);
    throw new OrdersNotQueuedError('The orders could not be queued for processing', { cause: error });
  }
  return orders;
}
