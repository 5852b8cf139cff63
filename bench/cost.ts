// Part 2, cost per order: this design priced from what the run counted (every AWS request, by
// service and call, the DynamoDB capacity DynamoDB reported, Lambda invocations and durations),
// and the original design priced from its flow, side by side, with the same price table.
import { emptyStats, mergeStats, type CallStats, type Tally } from './awsRequests';
import type { InvocationTally } from './observed';
import { PRICES, type PriceTable } from './prices';
import { median } from './stats';

export type Architecture = 'x86_64' | 'arm64';

export interface FunctionConfig {
  memoryMb: number;
  architecture: Architecture;
}

/** One priced line: per order, so lines of different runs compare. */
export interface CostLine {
  service: 'API Gateway' | 'Lambda' | 'DynamoDB' | 'SQS' | 'SNS';
  /** `DynamoDB.TransactWriteItems`, `Lambda invocations`, ... */
  item: string;
  /** Who makes these requests: functions' logical ids, or the event source mappings. */
  by: string[];
  requestsPerOrder: number;
  /** WRU/RRU for DynamoDB, 64 KB chunks for SQS/SNS, GB-s for Lambda duration. */
  unitsPerOrder?: number;
  unitName?: string;
  /** Of the WRUs, those spent on secondary indexes. */
  indexUnitsPerOrder?: number;
  dollarsPerMillionOrders: number;
}

export interface DesignCost {
  design: string;
  orders: number;
  lines: CostLine[];
  /** API Gateway requests + Lambda invocations + the AWS API calls the functions and pollers make. */
  requestsPerOrder: number;
  lambdaInvocationsPerOrder: number;
  dollarsPerMillionOrders: number;
  /** The same, with DynamoDB at its price before 2024-11-01. */
  dollarsPerMillionOrdersOldDynamoPrices: number;
  notes: string[];
}

const perMillion = (dollars: number) => dollars * 1_000_000;

function dynamoDollars(line: { readUnits: number; writeUnits: number }, prices: PriceTable): number {
  return line.readUnits * prices.dynamodb.perReadUnit + line.writeUnits * prices.dynamodb.perWriteUnit;
}

export interface MeasuredRun {
  orders: number;
  apiRequests: number;
  requests: Tally;
  invocations: InvocationTally;
  /** AWS_LAMBDA_FUNCTION_NAME -> logical id (scopes of the tally are function names). */
  functionIds: Record<string, string>;
  functions: Record<string, FunctionConfig>;
}

/** Prices the counted run. Empty receives are left out: on AWS they are a poller's idle cost, paid per queue, not per order. */
export function measuredDesignCost(run: MeasuredRun, prices: PriceTable = PRICES): Omit<DesignCost, 'dollarsPerMillionOrdersOldDynamoPrices'> & { emptyReceivesPerOrder: number } {
  const perOrder = (value: number) => value / Math.max(1, run.orders);
  const lines: CostLine[] = [];
  lines.push({
    service: 'API Gateway',
    item: 'REST API requests',
    by: ['clients'],
    requestsPerOrder: perOrder(run.apiRequests),
    dollarsPerMillionOrders: perMillion(perOrder(run.apiRequests) * prices.apiGatewayRest.perRequest),
  });

  let invocations = 0;
  let gbSeconds = 0;
  let durationDollars = 0;
  const invoked: string[] = [];
  for (const [name, stats] of Object.entries(run.invocations)) {
    const logicalId = run.functionIds[name] ?? name;
    const config = run.functions[logicalId] ?? { memoryMb: 128, architecture: 'x86_64' };
    invocations += stats.invocations;
    const seconds = (stats.billedMs / 1000) * (config.memoryMb / 1024);
    gbSeconds += seconds;
    durationDollars += seconds * prices.lambda.perGbSecond[config.architecture];
    if (stats.invocations > 0) invoked.push(logicalId);
  }
  lines.push({
    service: 'Lambda',
    item: 'invocations',
    by: invoked,
    requestsPerOrder: perOrder(invocations),
    dollarsPerMillionOrders: perMillion(perOrder(invocations) * prices.lambda.perRequest),
  });
  lines.push({
    service: 'Lambda',
    item: 'duration',
    by: invoked,
    requestsPerOrder: 0,
    unitsPerOrder: perOrder(gbSeconds),
    unitName: 'GB-s',
    dollarsPerMillionOrders: perMillion(perOrder(durationDollars)),
  });

  // Service.Operation over all callers.
  const calls = new Map<string, { stats: CallStats; by: Set<string> }>();
  for (const [scope, byCall] of Object.entries(run.requests)) {
    for (const [call, stats] of Object.entries(byCall)) {
      const entry = calls.get(call) ?? {
        stats: emptyStats(),
        by: new Set<string>(),
      };
      entry.by.add(run.functionIds[scope] ?? scope);
      mergeStats(entry.stats, stats);
      calls.set(call, entry);
    }
  }
  let emptyReceives = 0;
  for (const [call, { stats, by }] of [...calls].sort()) {
    const service = call.split('.')[0] as CostLine['service'];
    emptyReceives += stats.emptyReceives;
    const billedRequests = stats.requests - stats.emptyReceives;
    if (service === 'DynamoDB') {
      const units = { readUnits: stats.readUnits, writeUnits: stats.writeUnits + stats.estimatedWriteUnits };
      const isRead = stats.readUnits > 0 || (stats.writeUnits === 0 && stats.estimatedWriteUnits === 0 && /Get|Query|Scan/.test(call));
      lines.push({
        service,
        item: call,
        by: [...by],
        requestsPerOrder: perOrder(billedRequests),
        unitsPerOrder: perOrder(isRead ? units.readUnits : units.writeUnits),
        unitName: isRead ? 'RRU' : 'WRU',
        ...(stats.indexWriteUnits > 0 ? { indexUnitsPerOrder: perOrder(stats.indexWriteUnits) } : {}),
        dollarsPerMillionOrders: perMillion(perOrder(dynamoDollars(units, prices))),
      });
    } else if (service === 'SQS' || service === 'SNS') {
      const chunks = stats.billedChunks - stats.emptyReceives;
      const price = service === 'SQS' ? prices.sqs.perRequest : prices.sns.perPublish;
      lines.push({ service, item: call, by: [...by], requestsPerOrder: perOrder(billedRequests), unitsPerOrder: perOrder(chunks), unitName: '64 KB chunks', dollarsPerMillionOrders: perMillion(perOrder(chunks * price)) });
    }
  }
  const awsRequests = lines.reduce((total, line) => total + line.requestsPerOrder, 0);
  return {
    design: 'this design (measured)',
    orders: run.orders,
    lines,
    requestsPerOrder: awsRequests,
    lambdaInvocationsPerOrder: perOrder(invocations),
    dollarsPerMillionOrders: lines.reduce((total, line) => total + line.dollarsPerMillionOrders, 0),
    emptyReceivesPerOrder: perOrder(emptyReceives),
    notes: [],
  };
}

/** Median latency of one call in the run, across callers; used to give the original's functions durations. */
export function callLatencies(requests: Tally): (call: string) => number {
  const samples = new Map<string, number[]>();
  for (const byCall of Object.values(requests)) {
    for (const [call, stats] of Object.entries(byCall)) samples.set(call, [...(samples.get(call) ?? []), ...stats.latencySamples]);
  }
  return (call) => {
    const found = samples.get(call);
    return found && found.length > 0 ? median(found) : 10;
  };
}

/**
 * The original design (the seed README's flow, its template and its handlers), priced as it was
 * meant to work, i.e. with its queue policy fixed so that orders flow at all:
 * - every function 128 MB x86_64 (its template sets no MemorySize and x86_64), every SQS event
 *   source with BatchSize 1, so one invocation, one ReceiveMessage and one delete per message;
 * - OrderAPIGatewayFuntion: PutItem of the order, Publish to the topic (no batching);
 * - BalanceCheckerFunction: GetItem of the account (eventually consistent, the SDK's default),
 *   SendMessage of its result; StockCheckerFunction: one GetItem per product, then the 1-second
 *   sleep that papered over the race between the checkers, then SendMessage;
 * - OrderUpdateFunction, once per check result: GetItem of the order and PutItem of it back
 *   (read-then-write); the second result invokes ShipOrderFunction (Lambda Invoke, async);
 * - ShipOrderFunction: GetItem + PutItem of the account, GetItem + PutItem of every product
 *   (read-modify-write, the lost-update defect), and it never marks the order shipped.
 * Items are assumed under 1 KB (1 WRU a write, 0.5 RRU an eventually consistent read). Each
 * function's duration is the sum of its calls' median latencies measured in this run (plus the
 * sleep), which leaves out the original's own handler overhead and so flatters it.
 */
export function originalDesignCost(itemsPerOrder: number, latency: (call: string) => number, prices: PriceTable = PRICES): Omit<DesignCost, 'dollarsPerMillionOrdersOldDynamoPrices'> {
  const n = itemsPerOrder;
  const memoryGb = 128 / 1024;
  const get = latency('DynamoDB.GetItem');
  const put = latency('DynamoDB.PutItem') || latency('DynamoDB.UpdateItem');
  const send = latency('SQS.SendMessage');
  const publish = latency('SNS.PublishBatch');
  // Each function with the duration of each of its invocations for one order.
  const functions = [
    { name: 'OrderAPIGatewayFuntion', durationsMs: [put + publish] },
    { name: 'BalanceCheckerFunction', durationsMs: [get + send] },
    { name: 'StockCheckerFunction', durationsMs: [n * get + 1000 + send] },
    // The second check result also invokes the shipper; an async Invoke taken as long as a SendMessage.
    { name: 'OrderUpdateFunction', durationsMs: [get + put, get + put + send] },
    { name: 'ShipOrderFunction', durationsMs: [(1 + n) * (get + put)] },
  ];
  const invocations = functions.reduce((total, fn) => total + fn.durationsMs.length, 0);
  const gbSeconds = functions.reduce((total, fn) => total + fn.durationsMs.reduce((sum, ms) => sum + (Math.ceil(ms) / 1000) * memoryGb, 0), 0);
  const reads = 0.5 * (1 + n + 2 + 1 + n);
  const writes = 1 + 2 + 1 + n;
  const line = (service: CostLine['service'], item: string, by: string[], requestsPerOrder: number, dollars: number, units?: { units: number; name: string }): CostLine => ({
    service,
    item,
    by,
    requestsPerOrder,
    ...(units ? { unitsPerOrder: units.units, unitName: units.name } : {}),
    dollarsPerMillionOrders: perMillion(dollars),
  });
  const lines: CostLine[] = [
    line('API Gateway', 'REST API requests', ['clients'], 1, prices.apiGatewayRest.perRequest),
    line('Lambda', 'invocations', functions.map((fn) => fn.name), invocations, invocations * prices.lambda.perRequest),
    line('Lambda', 'duration', functions.map((fn) => fn.name), 0, gbSeconds * prices.lambda.perGbSecond.x86_64, { units: gbSeconds, name: 'GB-s' }),
    line('Lambda', 'Lambda.Invoke (async, billed as the invocation)', ['OrderUpdateFunction'], 1, 0),
    line('DynamoDB', 'DynamoDB.GetItem', ['BalanceChecker', 'StockChecker', 'OrderUpdate', 'ShipOrder'], 1 + n + 2 + 1 + n, reads * prices.dynamodb.perReadUnit, { units: reads, name: 'RRU' }),
    line('DynamoDB', 'DynamoDB.PutItem', ['OrderAPI', 'OrderUpdate', 'ShipOrder'], writes, writes * prices.dynamodb.perWriteUnit, { units: writes, name: 'WRU' }),
    line('SNS', 'SNS.Publish', ['OrderAPI'], 1, prices.sns.perPublish, { units: 1, name: '64 KB chunks' }),
    line('SQS', 'SQS.SendMessage', ['BalanceChecker', 'StockChecker'], 2, 2 * prices.sqs.perRequest, { units: 2, name: '64 KB chunks' }),
    line('SQS', 'SQS.ReceiveMessage', ['event source mappings'], 4, 4 * prices.sqs.perRequest, { units: 4, name: '64 KB chunks' }),
    line('SQS', 'SQS.DeleteMessageBatch', ['event source mappings'], 4, 4 * prices.sqs.perRequest, { units: 4, name: '64 KB chunks' }),
  ];
  return {
    design: 'original design (modelled from its flow)',
    orders: 0,
    lines,
    requestsPerOrder: lines.reduce((total, entry) => total + entry.requestsPerOrder, 0),
    lambdaInvocationsPerOrder: invocations,
    dollarsPerMillionOrders: lines.reduce((total, entry) => total + entry.dollarsPerMillionOrders, 0),
    notes: [`${n.toFixed(2)} products per order, as in this run's orders`],
  };
}

/** The total under another price table, for the sensitivity line; DynamoDB lines re-priced from their units. */
export function repriceDynamo(cost: Pick<DesignCost, 'lines' | 'dollarsPerMillionOrders'>, from: PriceTable, to: PriceTable): number {
  let total = cost.dollarsPerMillionOrders;
  for (const line of cost.lines) {
    if (line.service !== 'DynamoDB' || !line.unitsPerOrder) continue;
    const isRead = line.unitName === 'RRU';
    const ratio = isRead ? to.dynamodb.perReadUnit / from.dynamodb.perReadUnit : to.dynamodb.perWriteUnit / from.dynamodb.perWriteUnit;
    total += line.dollarsPerMillionOrders * (ratio - 1);
  }
  return total;
}
