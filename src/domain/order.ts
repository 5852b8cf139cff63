// The order and its lifecycle: PENDING -> READY_TO_SHIP -> SHIPPED, or -> REJECTED.
import { type Cents, formatCents } from './money';

export const OrderStatus = {
  Pending: 'PENDING',
  ReadyToShip: 'READY_TO_SHIP',
  Shipped: 'SHIPPED',
  Rejected: 'REJECTED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const FINAL_STATUSES: readonly OrderStatus[] = [OrderStatus.Shipped, OrderStatus.Rejected];

export interface OrderItem {
  productId: string;
  qty: number;
}

/** What a client asks for, after validation. */
export interface OrderRequest {
  customerId: string;
  items: OrderItem[];
  totalCents: Cents;
}

export interface Order extends OrderRequest {
  orderId: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  logs: string[];
}

export function newOrder(request: OrderRequest, orderId: string, now: string): Order {
  const units = request.items.reduce((sum, item) => sum + item.qty, 0);
  return {
    ...request,
    orderId,
    status: OrderStatus.Pending,
    createdAt: now,
    updatedAt: now,
    logs: [
      `Order received: ${request.items.length} ${request.items.length === 1 ? 'product' : 'products'}, ${units} ${units === 1 ? 'unit' : 'units'}, total ${formatCents(request.totalCents)}`,
    ],
  };
}

export const Check = { Credit: 'CREDIT', Stock: 'STOCK' } as const;
export type Check = (typeof Check)[keyof typeof Check];

/** What a checker reports to the order-update queue. */
export interface CheckResult {
  orderId: string;
  check: Check;
  passed: boolean;
  /** The log line to append to the order, e.g. `Credit check passed: balance 1000.00 covers 187.78`. */
  detail: string;
}

export const READY_TO_SHIP_LOG = 'Ready to ship: credit and stock checks passed';

export function shippedLog(totalCents: Cents): string {
  return `Shipped: charged ${formatCents(totalCents)}, stock deducted`;
}
