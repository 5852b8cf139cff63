// The faults of one seed: several rules drawn from everything `--faults` can do (local-sam's faults, packages/local-sam/README.md),
// overlapping in time, each shorter than the retry budget so that no message should be
// dead-lettered; and in some seeds one function out of service for longer than the budget, whose
// orders must end rejected naming its dead-letter queue, and nothing worse.
import { formatRule, seededRandom, THROTTLING_ERRORS, type FaultConfig, type FaultRule } from './stack';

/** Template parameters of every nemesis stack (all within the template's AllowedValues and Rules). */
export const PARAMETERS = { QueueVisibilityTimeoutSeconds: '10', FunctionTimeoutSeconds: '5', MaxReceiveCount: '5', OrderDeadlineSeconds: '60' };
/** A message is dead-lettered after MaxReceiveCount deliveries a visibility timeout apart. */
export const RETRY_BUDGET_SECONDS = Number(PARAMETERS.MaxReceiveCount) * Number(PARAMETERS.QueueVisibilityTimeoutSeconds);
/** The load runs from LOAD_START to LOAD_START + LOAD_SECONDS, in seconds after the stack is ready (where fault windows count from). */
export const LOAD_START = 10;
export const LOAD_SECONDS = 60;

/** A queue consumer, its queue's dead-letter queue. */
export const CONSUMERS: Record<string, string> = {
  BalanceCheckerFunction: 'BalanceCheckerDeadLetterQueue',
  StockCheckerFunction: 'StockCheckerDeadLetterQueue',
  OrderUpdateFunction: 'OrderUpdateDeadLetterQueue',
  ShipOrderFunction: 'ShipOrderDeadLetterQueue',
};
const FUNCTIONS = [...Object.keys(CONSUMERS), 'OrderApiFunction', 'AccountUpdateFunction', 'StockUpdateFunction', 'OrderSweeperFunction'];
const TABLES = ['OrderTable', 'AccountTable', 'StockTable', 'IdempotencyTable'];
/** What the functions (and the SQS pollers) call, by service. */
const OPERATIONS = {
  dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchGetItem', 'Query', '*'],
  sns: ['PublishBatch'],
  sqs: ['SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch'],
} as const;

export interface LongOutage {
  function: string;
  deadLetterQueue: string;
  /** Seconds after the stack is ready, as the rule's window. */
  window: [number, number];
  /** When the load redrives the dead-letter queue, in seconds after the stack is ready. */
  redriveAt: number;
}

export interface FaultSchedule {
  seed: number;
  faults: FaultConfig;
  longOutage?: LongOutage;
}

type Random = ReturnType<typeof seededRandom>;

/** [start, end) inside the load, at most `longest` seconds long. */
function window(random: Random, longest: number): [number, number] {
  const start = LOAD_START + random.int(0, LOAD_SECONDS - 5);
  return [start, start + random.int(3, longest)];
}

/** Often: a rate and a window; sometimes every call in a short window; sometimes a count of calls. */
function scope(random: Random, { rateUpTo }: { rateUpTo: number }): Pick<FaultRule, 'rate' | 'window' | 'fromCall' | 'times'> {
  const shape = random.next();
  if (shape < 0.6) return { rate: random.int(5, rateUpTo * 100) / 100, window: window(random, 25) };
  if (shape < 0.8) return { window: window(random, 6) };
  return { fromCall: random.int(1, 50), times: random.int(1, 8), window: window(random, 40) };
}

interface Target {
  service: keyof typeof OPERATIONS;
  operations: readonly string[];
  /** Tables to name; undefined: half the DynamoDB rules name one of every table. */
  tables?: string[];
}

const ANY_CALL = (random: Random): Target => {
  const service = random.pick(['dynamodb', 'dynamodb', 'dynamodb', 'sns', 'sqs'] as const);
  return { service, operations: OPERATIONS[service] };
};
/** What accepting an order calls: its idempotency record, the order's write (and its withdrawal), the announcement. */
const ACCEPTANCE = (random: Random): Target =>
  random.next() < 0.7 ? { service: 'dynamodb', operations: ['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'TransactWriteItems'], tables: ['IdempotencyTable', 'OrderTable'] } : { service: 'sns', operations: ['PublishBatch'] };
/** What a top-up of credit or stock calls. */
const BALANCE_WRITE: Target = { service: 'dynamodb', operations: ['UpdateItem', 'GetItem'], tables: ['AccountTable', 'StockTable'] };

function operationRule(random: Random, target: Target): FaultRule {
  const operation = `${target.service}:${random.pick(target.operations)}`;
  const named = target.tables ?? (target.service === 'dynamodb' && random.next() < 0.5 ? TABLES : undefined);
  const table = named ? { table: random.pick(named) } : {};
  const kind = random.pick(['throttle', 'internal-error', 'slow', 'drop'] as const);
  // A dropped receive still counts as a delivery: kept rarer, as the budget is shared with every other fault.
  const rateUpTo = kind === 'drop' || operation === 'sqs:ReceiveMessage' ? 0.1 : 0.3;
  const common = { operation, ...table, ...scope(random, { rateUpTo }) };
  if (kind === 'throttle') return { ...common, kind, error: random.pick(Object.keys(THROTTLING_ERRORS[target.service])) };
  if (kind === 'slow') return { ...common, kind, latencyMs: random.int(200, 2500) };
  return { ...common, kind };
}

/** Balance writes applied whose answers are lost, often enough that the SDK's retry of one follows. */
const lostBalanceAnswers = (random: Random): FaultRule => ({
  operation: 'dynamodb:UpdateItem',
  table: random.pick(['AccountTable', 'StockTable']),
  kind: 'drop',
  rate: random.int(20, 50) / 100,
  window: window(random, 25),
});

function functionRule(random: Random, functions: string[] = FUNCTIONS): FaultRule {
  const fn = random.pick(functions);
  const kind = random.pick(['outage', 'timeout', 'reserved-concurrency'] as const);
  if (kind === 'reserved-concurrency') return { function: fn, kind, concurrency: random.int(1, 2), window: window(random, 40) };
  // Out of service for a window well inside the budget, or for a fraction of the invocations.
  return random.next() < 0.5 ? { function: fn, kind, window: window(random, 15) } : { function: fn, kind, rate: random.int(5, 25) / 100, window: window(random, 25) };
}

/** The same seed gives the same schedule, on every machine. */
export function drawSchedule(seed: number): FaultSchedule {
  const random = seededRandom(seed);
  const rules: FaultRule[] = [];
  for (let i = random.int(2, 4); i > 0; i--) rules.push(operationRule(random, ANY_CALL(random)));
  // Every seed also attacks the acceptance of orders and the conditional balance writes, where a lost answer matters most.
  rules.push(random.next() < 0.75 ? operationRule(random, ACCEPTANCE(random)) : functionRule(random, ['OrderApiFunction']));
  rules.push(operationRule(random, ACCEPTANCE(random)));
  rules.push(random.next() < 0.5 ? lostBalanceAnswers(random) : operationRule(random, BALANCE_WRITE));
  for (let i = random.int(1, 3); i > 0; i--) rules.push(functionRule(random));
  if (random.next() < 0.6) rules.push({ operation: 'dynamodb:TransactWriteItems', kind: 'transaction-conflict' });
  let longOutage: LongOutage | undefined;
  if (random.next() < 0.35) {
    const fn = random.pick(Object.keys(CONSUMERS));
    const start = LOAD_START + random.int(0, 20);
    const end = start + RETRY_BUDGET_SECONDS + random.int(10, 20);
    longOutage = { function: fn, deadLetterQueue: CONSUMERS[fn] as string, window: [start, end], redriveAt: end + random.int(5, 30) };
    rules.push({ function: fn, kind: 'outage', window: [start, end] });
  }
  return { seed, faults: { seed, rules }, ...(longOutage ? { longOutage } : {}) };
}

/** The schedule as `npm start -- --faults` takes it inline (local-sam's readFaultSpec parses it back). */
export const faultSpec = (faults: FaultConfig): string => [`seed=${faults.seed}`, ...faults.rules.map(formatRule)].join('; ');
