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

export type CheckOutcome = 'PASSED' | 'FAILED';

export interface Order extends OrderRequest {
  orderId: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  logs: string[];
  /** The checks' results as recorded on the order; absent until a result arrives. */
  creditCheck?: CheckOutcome;
  stockCheck?: CheckOutcome;
}

/** The parts of an order that decide what a message about it may still do. */
export type OrderProgress = Pick<Order, 'status' | 'creditCheck' | 'stockCheck'>;

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

/** Whether no check result has reached the order yet: it may never have been announced. */
export const awaitsBothChecks = (order: OrderProgress): boolean => order.status === OrderStatus.Pending && !order.creditCheck && !order.stockCheck;

/** Whether two requests ask for the same order: an earlier attempt of a request is recognised by this. */
export function samePlacement(a: OrderRequest, b: OrderRequest): boolean {
  return (
    a.customerId === b.customerId &&
    a.totalCents === b.totalCents &&
    a.items.length === b.items.length &&
    a.items.every((item, index) => item.productId === b.items[index]?.productId && item.qty === b.items[index]?.qty)
  );
}

export const Check = { Credit: 'CREDIT', Stock: 'STOCK' } as const;
export type Check = (typeof Check)[keyof typeof Check];

export const checkAttribute = (check: Check): 'creditCheck' | 'stockCheck' => (check === Check.Credit ? 'creditCheck' : 'stockCheck');

/** The business reasons an order is rejected for: what a check or the shipping transaction finds. */
export type BusinessReason = 'no-account' | 'insufficient-credit' | 'insufficient-stock' | 'no-product';
export const BUSINESS_REASONS: readonly BusinessReason[] = ['no-account', 'insufficient-credit', 'insufficient-stock', 'no-product'];
/** Why an order was rejected: a business reason, or one of its messages failed every delivery. */
export type RejectionReason = BusinessReason | 'dead-lettered';

/** What a checker reports to the order-update queue. */
export interface CheckResult {
  orderId: string;
  check: Check;
  passed: boolean;
  /** The log line to append to the order, e.g. `Credit check passed: balance 1000.00 covers 187.78`. */
  detail: string;
  /** Why a failed check failed; every failed result has one (a passed one none). */
  reason?: BusinessReason;
}

export const READY_TO_SHIP_LOG = 'Ready to ship: credit and stock checks passed';

export function shippedLog(totalCents: Cents): string {
  return `Shipped: charged ${formatCents(totalCents)}, stock deducted`;
}
