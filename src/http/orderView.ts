// An order as the API answers it (POST /order, /orders, GET /order/{orderId}).
import { centsToNumber } from '../domain/money';
import type { Order } from '../domain/order';

export const orderView = (order: Order) => ({
  orderId: order.orderId,
  customerId: order.customerId,
  items: order.items,
  totalAmount: centsToNumber(order.totalCents),
  status: order.status,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  logs: order.logs,
});

export type OrderView = ReturnType<typeof orderView>;
