// The credit and stock checks. They are advisory: the shipping transaction enforces the same
// rules again under a condition, because balances can change between check and shipment.
import { type Cents, formatCents } from './money';
import { Check, type CheckResult, type Order } from './order';

export function checkCredit(order: Pick<Order, 'orderId' | 'customerId' | 'totalCents'>, balance: Cents | undefined): CheckResult {
  const result = (passed: boolean, detail: string): CheckResult => ({ orderId: order.orderId, check: Check.Credit, passed, detail });
  if (balance === undefined) {
    return result(false, `Credit check failed: customer ${order.customerId} has no account`);
  }
  if (balance < order.totalCents) {
    return result(false, `Credit check failed: balance ${formatCents(balance)} does not cover ${formatCents(order.totalCents)}`);
  }
  return result(true, `Credit check passed: balance ${formatCents(balance)} covers ${formatCents(order.totalCents)}`);
}

/** `stock` maps each productId to its balance; a product absent from the map does not exist. */
export function checkStock(order: Pick<Order, 'orderId' | 'items'>, stock: ReadonlyMap<string, number>): CheckResult {
  const shortages: string[] = [];
  const covered: string[] = [];
  for (const { productId, qty } of order.items) {
    const available = stock.get(productId);
    if (available === undefined) shortages.push(`product ${productId} does not exist`);
    else if (available < qty) shortages.push(`product ${productId} has ${available}, needs ${qty}`);
    else covered.push(`product ${productId} has ${available}, needs ${qty}`);
  }
  const passed = shortages.length === 0;
  return {
    orderId: order.orderId,
    check: Check.Stock,
    passed,
    detail: passed ? `Stock check passed: ${covered.join('; ')}` : `Stock check failed: ${shortages.join('; ')}`,
  };
}
