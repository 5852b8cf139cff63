// The credit and stock checks of a batch of new orders: one read of every balance the batch needs,
// each order checked on its own, every result reported at once. An order whose balance could not be
// read, or whose result could not be sent, fails alone (and is retried); the others go on.
import { checkCredit, checkStock } from '../domain/checks';
import type { OrderToCheck } from '../domain/messages';
import type { Cents } from '../domain/money';
import type { CheckResult } from '../domain/order';
import { BatchOutcomes } from './batchOutcomes';

/** Balances read by key: undefined where there is none; throws for a key that could not be read. */
export type Balances<T> = Pick<ReadonlyMap<string, T>, 'get'>;

export interface CheckReporter {
  /** Sends the results; for each, undefined once sent or why it could not be. */
  report(results: CheckResult[]): Promise<(Error | undefined)[]>;
}

export interface CreditCheckPorts extends CheckReporter {
  creditOf(customerIds: string[]): Promise<Balances<Cents>>;
}

export interface StockCheckPorts extends CheckReporter {
  stockOf(productIds: string[]): Promise<Balances<number>>;
}

/** For each order: its result once reported, or why it could not be checked or reported. */
export type CheckOutcomes = BatchOutcomes<OrderToCheck, CheckResult>;

async function runChecks<T>(orders: OrderToCheck[], balances: Promise<Balances<T>>, check: (order: OrderToCheck, balances: Balances<T>) => CheckResult, reporter: CheckReporter): Promise<CheckOutcomes> {
  const outcomes: CheckOutcomes = new BatchOutcomes(orders);
  let read: Balances<T>;
  try {
    read = await balances;
  } catch (error) {
    for (const order of orders) outcomes.fail(order, error);
    return outcomes;
  }
  const checked: OrderToCheck[] = [];
  for (const order of orders) {
    try {
      outcomes.succeed(order, check(order, read));
      checked.push(order);
    } catch (error) {
      outcomes.fail(order, error);
    }
  }
  const results = checked.map((order) => (outcomes.get(order) as PromiseFulfilledResult<CheckResult>).value);
  outcomes.failUnsent(checked, await reporter.report(results));
  return outcomes;
}

export function runCreditChecks(orders: OrderToCheck[], ports: CreditCheckPorts): Promise<CheckOutcomes> {
  return runChecks(orders, ports.creditOf(orders.map((order) => order.customerId)), (order, credit) => checkCredit(order, credit.get(order.customerId)), ports);
}

export function runStockChecks(orders: OrderToCheck[], ports: StockCheckPorts): Promise<CheckOutcomes> {
  return runChecks(orders, ports.stockOf(orders.flatMap((order) => order.items.map((item) => item.productId))), (order, stock) => checkStock(order, stock), ports);
}
