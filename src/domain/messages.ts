// The messages that travel between the functions, and their parsers. A message that does not
// parse is refused with an error, so that its record is retried and finally dead-lettered.
import { formatCents, toCents } from './money';
import { BUSINESS_REASONS, Check, type CheckResult, type Order } from './order';

export class MalformedMessageError extends Error {}

/** Published on the order topic for each new order. */
export interface OrderPlacedMessage {
  orderId: string;
  customerId: string;
  items: { productId: string; qty: number }[];
  totalAmount: string;
}

export type OrderToCheck = Pick<Order, 'orderId' | 'customerId' | 'items' | 'totalCents'>;

/** What shipping needs of an order: what the transaction deducts, and when it was placed (its time to a final state). */
export type OrderToShip = OrderToCheck & Pick<Order, 'createdAt'>;

/** Sent to the ship-order queue once an order is ready to ship: the order itself, so that shipping reads nothing first. */
export interface ShipmentRequestMessage extends OrderPlacedMessage {
  createdAt: string;
}

/** A shipment request as received: it carries its order, or (sent by hand, as by an operator) names only the order, which is then read. */
export interface ShipmentRequest {
  orderId: string;
  order?: OrderToShip;
}

export function toOrderPlacedMessage(order: OrderToCheck): OrderPlacedMessage {
  return { orderId: order.orderId, customerId: order.customerId, items: order.items.map(({ productId, qty }) => ({ productId, qty })), totalAmount: formatCents(order.totalCents) };
}

export function toShipmentRequestMessage(order: OrderToShip): ShipmentRequestMessage {
  return { ...toOrderPlacedMessage(order), createdAt: order.createdAt };
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedMessageError('message is not a JSON object');
  return value as Record<string, unknown>;
}

function text(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  if (typeof value !== 'string' || value.length === 0) throw new MalformedMessageError(`message has no ${key}`);
  return value;
}

export function parseOrderPlaced(body: unknown): OrderToCheck {
  const record = object(body);
  const items = record.items;
  if (!Array.isArray(items) || items.length === 0) throw new MalformedMessageError('message has no items');
  const totalAmount = record.totalAmount;
  if (typeof totalAmount !== 'string' && typeof totalAmount !== 'number') throw new MalformedMessageError('message has no totalAmount');
  return {
    orderId: text(record, 'orderId'),
    customerId: text(record, 'customerId'),
    items: items.map((item) => {
      const line = object(item);
      const qty = line.qty;
      if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty < 1) throw new MalformedMessageError('message has an item without a valid qty');
      return { productId: text(line, 'productId'), qty };
    }),
    totalCents: amount(totalAmount),
  };
}

function amount(value: string | number): number {
  try {
    return toCents(value);
  } catch (error) {
    throw new MalformedMessageError('message has an invalid totalAmount', { cause: error });
  }
}

export function parseCheckResult(body: unknown): CheckResult {
  const record = object(body);
  const check = record.check;
  if (check !== Check.Credit && check !== Check.Stock) throw new MalformedMessageError('message has no valid check');
  if (typeof record.passed !== 'boolean') throw new MalformedMessageError('message has no passed flag');
  const result: CheckResult = { orderId: text(record, 'orderId'), check, passed: record.passed, detail: text(record, 'detail') };
  if (result.passed) return result;
  // A failed check says why: the business reason the order is rejected for.
  const reason = BUSINESS_REASONS.find((known) => known === record.reason);
  if (!reason) throw new MalformedMessageError('failed check result has no known reason');
  return { ...result, reason };
}

export function parseShipmentRequest(body: unknown): ShipmentRequest {
  const record = object(body);
  const orderId = text(record, 'orderId');
  const carriesOrder = ['customerId', 'items', 'totalAmount', 'createdAt'].some((key) => key in record);
  // The order a request carries must be whole: shipping charges what it says (if it matches the stored order).
  return carriesOrder ? { orderId, order: { ...parseOrderPlaced(record), createdAt: text(record, 'createdAt') } } : { orderId };
}
