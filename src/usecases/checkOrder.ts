import { checkCredit, checkStock } from '../domain/checks';
import type { OrderToCheck } from '../domain/messages';
import type { Cents } from '../domain/money';
import type { CheckResult } from '../domain/order';

export interface CheckReporter {
  report(result: CheckResult): Promise<void>;
}

export interface CreditCheckPorts extends CheckReporter {
  creditOf(customerId: string): Promise<Cents | undefined>;
}

export interface StockCheckPorts extends CheckReporter {
  stockOf(productIds: string[]): Promise<Map<string, number>>;
}

export async function runCreditCheck(order: OrderToCheck, ports: CreditCheckPorts): Promise<CheckResult> {
  const result = checkCredit(order, await ports.creditOf(order.customerId));
  await ports.report(result);
  return result;
}

export async function runStockCheck(order: OrderToCheck, ports: StockCheckPorts): Promise<CheckResult> {
  const result = checkStock(order, await ports.stockOf(order.items.map((item) => item.productId)));
  await ports.report(result);
  return result;
}
