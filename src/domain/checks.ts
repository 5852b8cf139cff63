// The credit and stock checks. They are advisory: the shipping transaction enforces the same
// rules again under a condition, because balances can change between check and shipment.
import { type Cents, formatCents } from './money';
import { Check, type BusinessReason, type CheckResult, type Order } from './order';

export function checkCredit(order: Pick<Order, 'orderId' | 'customerId' | 'totalCents'>, balance: Cents | undefined): CheckResult {
  const passed = (detail: string): CheckResult => ({ orderId: order.orderId, check: Check.Credit, passed: true, detail });
  const failed = (reason: BusinessReason, detail: string): CheckResult => ({ orderId: order.orderId, check: Check.Credit, passed: false, detail, reason });
  if (balance === undefined) {
    return failed('no-account', `Credit check failed: customer ${order.customerId} has no account`);
  }
  if (balance < order.totalCents) {
    return failed('insufficient-credit', `Credit check failed: balance ${formatCents(balance)} does not cover ${formatCents(order.totalCents)}`);
  }
  return passed(`Credit check passed: balance ${formatCents(balance)} covers ${formatCents(order.totalCents)}`);
}

/** `stock` gives each productId's balance; a product it has none for does not exist. */
export function checkStock(order: Pick<Order, 'orderId' | 'items'>, stock: Pick<ReadonlyMap<string, number>, 'get'>): CheckResult {
  const shortages: string[] = [];
  const covered: string[] = [];
  let missing = false;
  for (const { productId, qty } of order.items) {
    const available = stock.get(productId);
    missing ||= available === undefined;
    if (available === undefined) shortages.push(`product ${productId} does not exist`);
    else if (available < qty) shortages.push(`product ${productId} has ${available}, needs ${qty}`);
    else covered.push(`product ${productId} has ${available}, needs ${qty}`);
  }
  if (shortages.length === 0) return { orderId: order.orderId, check: Check.Stock, passed: true, detail: `Stock check passed: ${covered.join('; ')}` };
  // A missing product outweighs a short one, as the shipping transaction reports it.
  const reason: BusinessReason = missing ? 'no-product' : 'insufficient-stock';
  return { orderId: order.orderId, check: Check.Stock, passed: false, detail: `Stock check failed: ${shortages.join('; ')}`, reason };
}
