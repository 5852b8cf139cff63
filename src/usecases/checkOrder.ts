// The credit and stock checks of a batch of new orders: one read of every balance the batch needs,
// each order checked on its own, every result reported at once. An order whose balance could not be
// read, or whose result could not be sent, fails alone (and is retried); the others go on.
import { checkCredit, checkStock } from '../domain/checks';
import type { OrderToCheck } from '../domain/messages';
import type { Cents } from '../domain/money';
import type { CheckResult } from '../domain/order';

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

/** For each order, in batch order: its result once reported, or why it could not be checked or reported. */
export type CheckOutcomes = PromiseSettledResult<CheckResult>[];

async function runChecks<T>(orders: OrderToCheck[], balances: Promise<Balances<T>>, check: (order: OrderToCheck, balances: Balances<T>) => CheckResult, reporter: CheckReporter): Promise<CheckOutcomes> {
  let read: Balances<T>;
  try {
    read = await balances;
  } catch (error) {
    return orders.map(() => ({ status: 'rejected', reason: error }));
  }
  const outcomes: CheckOutcomes = orders.map((order) => {
    try {
      return { status: 'fulfilled', value: check(order, read) };
    } catch (error) {
      return { status: 'rejected', reason: error };
    }
  });
  const checked = outcomes.flatMap((outcome, position) => (outcome.status === 'fulfilled' ? [{ position, result: outcome.value }] : []));
  const unsent = await reporter.report(checked.map(({ result }) => result));
  checked.forEach(({ position }, index) => {
    const failure = unsent[index];
    if (failure) outcomes[position] = { status: 'rejected', reason: failure };
  });
  return outcomes;
}

export function runCreditChecks(orders: OrderToCheck[], ports: CreditCheckPorts): Promise<CheckOutcomes> {
  return runChecks(orders, ports.creditOf(orders.map((order) => order.customerId)), (order, credit) => checkCredit(order, credit.get(order.customerId)), ports);
}

export function runStockChecks(orders: OrderToCheck[], ports: StockCheckPorts): Promise<CheckOutcomes> {
  return runChecks(orders, ports.stockOf(orders.flatMap((order) => order.items.map((item) => item.productId))), (order, stock) => checkStock(order, stock), ports);
}
