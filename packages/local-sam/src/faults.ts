// Faults on demand (`local-sam start --faults SPEC`): what AWS does to a running system, injected
// deterministically into the local stack by one injector with one configuration. Rules name either
// an AWS API operation (`sns:PublishBatch`, `dynamodb:*`), whose calls from the functions and the
// SQS pollers pass through awsProxy.ts, or a function by logical id, whose invocations the function
// pools (functions.ts) put to the injector first. The configuration is a YAML or JSON file:
//
//   seed: 7
//   rules:
//     - { operation: sns:PublishBatch, kind: throttle, window: [0, 10] }
//     - { operation: 'dynamodb:*', kind: throttle, error: ThrottlingException, rate: 0.1 }
//     - { function: WorkerFunction, kind: reserved-concurrency, concurrency: 1 }
//     - { operation: dynamodb:UpdateItem, table: IdempotencyTable, kind: internal-error, times: 3 }
//
// or the same inline, one rule per `;`, each written as the startup summary shows it:
//
//   seed=7; sns:PublishBatch throttle window=0-10; WorkerFunction reserved-concurrency concurrency=1
//
// A DynamoDB rule may name a table (a logical id of the template): it then matches only the calls
// that touch that table (any of a transaction's or a batch's tables).
//
// A rule applies to the calls (invocations) it matches inside its window (seconds after the stack
// became ready, [start, end)), from the `fromCall`-th of them on, at most `times` times, each
// with probability `rate` (default 1). Nothing is injected before the stack is ready. Each rule
// counts the calls it matched inside its window (`seen`) and the faults it injected.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { load as parseYaml } from 'js-yaml';
import type { InvocationFault, InvocationFaults } from './functions';

export type AwsService = 'dynamodb' | 'sqs' | 'sns';

/** How many calls or invocations a rule applies to, and when. */
export interface RuleScope {
  /** Probability that a matching call gets the fault, 0..1 (default 1). */
  rate?: number;
  /** Seconds after the stack became ready: [start, end), or [start] for no end. */
  window?: [number, number?];
  /** Only from the Nth matching call on (1-based). */
  fromCall?: number;
  /** At most this many faults. */
  times?: number;
}

export type OperationRule = RuleScope & {
  operation: string;
  /** DynamoDB only: just the calls that touch this table (its logical id in the template). */
  table?: string;
} & (
    | { kind: 'throttle'; /** The throttling error, as the SDK names it (THROTTLING_ERRORS). */ error?: string }
    | { kind: 'internal-error' }
    | { kind: 'slow'; latencyMs: number }
    | { kind: 'drop' }
    | { kind: 'transaction-conflict' }
  );

export type FunctionRule = RuleScope & { function: string } & (
    | { kind: 'reserved-concurrency'; concurrency: number }
    | { kind: 'outage' }
    | { kind: 'timeout' }
  );

export type FaultRule = OperationRule | FunctionRule;

export interface FaultConfig {
  seed: number;
  rules: FaultRule[];
}

/**
 * The throttling errors each service answers, by the name the AWS SDK v3 gives the error (which its
 * retry strategy classifies as throttling): code, HTTP status and fault as each service's model
 * (the one @aws-sdk/client-* is generated from) declares them; the first is the default.
 */
export const THROTTLING_ERRORS: Record<AwsService, Record<string, { code: string; status: number }>> = {
  dynamodb: {
    // What both capacity modes answer for a hot key range; ThrottlingException for on-demand maximum throughput, RequestLimitExceeded for account quotas.
    ProvisionedThroughputExceededException: { code: 'ProvisionedThroughputExceededException', status: 400 },
    ThrottlingException: { code: 'ThrottlingException', status: 400 },
    RequestLimitExceeded: { code: 'RequestLimitExceeded', status: 400 },
  },
  sqs: {
    RequestThrottled: { code: 'RequestThrottled', status: 403 },
    // The throttling error common to all AWS APIs (SQS API Reference, Common Errors).
    ThrottlingException: { code: 'ThrottlingException', status: 400 },
  },
  sns: {
    // What Publish and PublishBatch declare.
    ThrottledException: { code: 'Throttled', status: 429 },
    // The AWS query protocol's common throttling error ("Rate exceeded").
    Throttling: { code: 'Throttling', status: 400 },
  },
};

/** HTTP 500 as each service names it. */
export const INTERNAL_ERRORS: Record<AwsService, { code: string; status: number }> = {
  dynamodb: { code: 'InternalServerError', status: 500 },
  sqs: { code: 'InternalFailure', status: 500 },
  sns: { code: 'InternalError', status: 500 },
};

const OPERATION_KINDS: Record<OperationRule['kind'], { required: string[]; optional: string[] }> = {
  throttle: { required: [], optional: ['error'] },
  'internal-error': { required: [], optional: [] },
  slow: { required: ['latencyMs'], optional: [] },
  drop: { required: [], optional: [] },
  'transaction-conflict': { required: [], optional: [] },
};

const FUNCTION_KINDS: Record<FunctionRule['kind'], { required: string[]; optional: string[] }> = {
  'reserved-concurrency': { required: ['concurrency'], optional: [] },
  outage: { required: [], optional: [] },
  timeout: { required: [], optional: [] },
};

const SCOPE_KEYS = ['rate', 'window', 'fromCall', 'times'];
const NUMBER_KEYS = new Set(['rate', 'fromCall', 'times', 'latencyMs', 'concurrency']);
const SDK_CLIENTS: Record<AwsService, string> = { dynamodb: '@aws-sdk/client-dynamodb', sqs: '@aws-sdk/client-sqs', sns: '@aws-sdk/client-sns' };

let knownOperations: Record<AwsService, string[]> | undefined;

/** Every operation of each service, from the installed SDK clients' commands. */
export function operationsOf(service: AwsService): string[] {
  knownOperations ??= Object.fromEntries(
    Object.entries(SDK_CLIENTS).map(([name, module]) => [
      name,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Object.keys(require(module) as object)
        .filter((key) => /^[A-Z]\w*Command$/.test(key))
        .map((key) => key.slice(0, -'Command'.length)),
    ]),
  ) as Record<AwsService, string[]>;
  return knownOperations[service];
}

/** `sqs:Send*` -> service and a matcher of operation names. */
function operationPattern(pattern: string): { service: string; matches: (operation: string) => boolean } {
  const [service = '', operation = ''] = pattern.split(':');
  const glob = new RegExp(`^${operation.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return { service, matches: (name) => glob.test(name) };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

class FaultConfigError extends Error {}

/** Checks a configuration object (from a file, the inline form or a test) strictly and returns it typed. */
export function parseFaultConfig(input: unknown, source = '--faults'): FaultConfig {
  const fail = (message: string): never => {
    throw new FaultConfigError(`${source}: ${message}`);
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('expected an object with "rules" (and optionally "seed")');
  const { seed = 1, rules, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) fail(`unknown key ${Object.keys(rest).join(', ')} (expected seed, rules)`);
  if (!Number.isSafeInteger(seed)) fail(`seed must be an integer, got ${JSON.stringify(seed)}`);
  if (!Array.isArray(rules)) return fail('"rules" must be a list of rules');
  return { seed: seed as number, rules: rules.map((rule, index) => parseRule(rule, (message) => fail(`rule ${index + 1}: ${message}`))) };
}

function parseRule(input: unknown, fail: (message: string) => never): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('expected an object with "operation" or "function", and "kind"');
  const rule = input as Record<string, unknown>;
  const target = 'operation' in rule ? 'operation' : 'function' in rule ? 'function' : undefined;
  if (!target || ('operation' in rule && 'function' in rule)) fail('name exactly one of "operation" (e.g. sns:PublishBatch) or "function" (a logical id)');
  const kinds = target === 'operation' ? OPERATION_KINDS : FUNCTION_KINDS;
  const kind = String(rule.kind);
  const spec = (kinds as Record<string, { required: string[]; optional: string[] }>)[kind];
  if (!spec) return fail(`kind ${JSON.stringify(rule.kind)} is not one of ${Object.keys(kinds).join(', ')} (for a${target === 'operation' ? 'n operation' : ' function'})`);
  const allowed = new Set([target as string, 'kind', ...(target === 'operation' ? ['table'] : []), ...SCOPE_KEYS, ...spec.required, ...spec.optional]);
  const unknown = Object.keys(rule).filter((key) => !allowed.has(key));
  if (unknown.length > 0) fail(`${kind} takes no ${unknown.join(', ')} (it takes ${[...allowed].filter((key) => key !== target && key !== 'kind').join(', ')})`);
  for (const key of spec.required) if (rule[key] === undefined) fail(`${kind} needs ${key}`);

  const integer = (key: string, min: number) => {
    if (rule[key] !== undefined && !(Number.isSafeInteger(rule[key]) && (rule[key] as number) >= min)) fail(`${key} must be an integer >= ${min}, got ${JSON.stringify(rule[key])}`);
  };
  if (rule.rate !== undefined && !(typeof rule.rate === 'number' && rule.rate >= 0 && rule.rate <= 1)) fail(`rate must be a number from 0 to 1, got ${JSON.stringify(rule.rate)}`);
  integer('fromCall', 1);
  integer('times', 1);
  integer('latencyMs', 1);
  integer('concurrency', 0);
  if (rule.window !== undefined) {
    const window = rule.window;
    const valid =
      Array.isArray(window) &&
      (window.length === 1 || window.length === 2) &&
      window.every((bound) => typeof bound === 'number' && Number.isFinite(bound) && bound >= 0) &&
      (window.length === 1 || (window[0] as number) < (window[1] as number));
    if (!valid) fail(`window must be [start, end] or [start] in seconds after the stack is ready, with start < end, got ${JSON.stringify(window)}`);
  }

  if (target === 'operation') {
    const operation = String(rule.operation);
    const { service, matches } = operationPattern(operation);
    if (!(service in SDK_CLIENTS)) fail(`operation ${JSON.stringify(rule.operation)} must be service:Operation with service one of ${Object.keys(SDK_CLIENTS).join(', ')} (e.g. sqs:SendMessage, dynamodb:*)`);
    const operations = operationsOf(service as AwsService);
    if (!operations.some(matches)) {
      const name = operation.slice(service.length + 1);
      const closest = [...operations].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0] ?? '';
      fail(`${service} has no operation ${name}${editDistance(name, closest) <= 3 ? ` (did you mean ${service}:${closest}?)` : ''}`);
    }
    if (kind === 'transaction-conflict' && service !== 'dynamodb') fail('transaction-conflict applies to DynamoDB operations only');
    if (rule.table !== undefined && service !== 'dynamodb') fail('table applies to DynamoDB operations only');
    if (rule.table !== undefined && (typeof rule.table !== 'string' || rule.table === '')) fail('table must be a logical id');
    if (rule.error !== undefined && !(String(rule.error) in THROTTLING_ERRORS[service as AwsService])) {
      fail(`error ${JSON.stringify(rule.error)} is not a throttling error of ${service} (one of ${Object.keys(THROTTLING_ERRORS[service as AwsService]).join(', ')})`);
    }
  } else if (typeof rule.function !== 'string' || rule.function === '') fail('function must be a logical id');
  return rule as unknown as FaultRule;
}

/** The inline form, `seed=7; sns:Publish throttle rate=0.5 window=0-10; ...`, as a configuration object. */
export function parseInlineFaults(text: string): Record<string, unknown> {
  const config: { seed?: unknown; rules: Record<string, unknown>[] } = { rules: [] };
  for (const part of text.split(';').map((piece) => piece.trim()).filter(Boolean)) {
    const seed = /^seed=(.*)$/.exec(part);
    if (seed) {
      config.seed = Number(seed[1]);
      continue;
    }
    const [target = '', kind, ...options] = part.split(/\s+/);
    const rule: Record<string, unknown> = { [target.includes(':') ? 'operation' : 'function']: target, kind };
    for (const option of options) {
      const [key = '', value = ''] = option.split('=', 2);
      if (key === 'window') {
        const [start = '', end = ''] = value.split('-');
        rule.window = end === '' ? [Number(start)] : [Number(start), Number(end)];
      } else rule[key] = NUMBER_KEYS.has(key) && value !== '' ? Number(value) : value;
    }
    config.rules.push(rule);
  }
  return config;
}

/** A rule in the inline form: how the startup summary and the counts show it. */
export function formatRule(rule: FaultRule): string {
  const { kind, window, ...options } = rule as unknown as Record<string, unknown>;
  const target = 'operation' in rule ? rule.operation : rule.function;
  delete options.operation;
  delete options.function;
  const parts = [target, kind, ...Object.entries(options).map(([key, value]) => `${key}=${String(value)}`)];
  if (Array.isArray(window)) parts.push(`window=${window[0]}-${window[1] ?? ''}`);
  return parts.join(' ');
}

/** `--faults SPEC`: a .yaml, .yml or .json file, or the inline form. */
export function readFaultSpec(spec: string): FaultConfig {
  if (!/\.(ya?ml|json)$/i.test(spec)) return parseFaultConfig(parseInlineFaults(spec));
  if (!existsSync(spec)) throw new FaultConfigError(`--faults: no file ${spec}`);
  try {
    return parseFaultConfig(parseYaml(readFileSync(spec, 'utf8')), `--faults ${spec}`);
  } catch (error) {
    if (error instanceof FaultConfigError) throw error;
    throw new FaultConfigError(`--faults ${spec}: ${(error as Error).message}`);
  }
}

/** Refuses rules for functions or tables the template does not have (logical ids). */
export function checkRuleTargets(config: FaultConfig, template: { functions: string[]; tables: string[] }): void {
  const check = (index: number, kind: string, name: string, known: string[]) => {
    if (!known.includes(name)) throw new FaultConfigError(`--faults: rule ${index + 1}: the template has no ${kind} ${name} (it has ${known.join(', ')})`);
  };
  config.rules.forEach((rule, index) => {
    if ('function' in rule) check(index, 'function', rule.function, template.functions);
    else if (rule.table !== undefined) check(index, 'table', rule.table, template.tables);
  });
}

/**
 * The nth draw of a rule under a seed, in [0, 1): a hash of the three, so each draw depends on
 * nothing but its place, and the same seed gives the same faults on every run.
 */
export function draw(seed: number, ruleIndex: number, n: number): number {
  return createHash('sha256').update(`${seed}:${ruleIndex}:${n}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** One AWS API call as the injector sees it. */
export interface AwsCall {
  service: AwsService;
  operation: string;
  /** The tables a DynamoDB call touches, by logical id (those of the stack only). */
  tables?: string[];
}

export type OperationFault =
  | { kind: 'throttle'; code: string; status: number; rule: string }
  | { kind: 'internal-error'; code: string; status: number; rule: string }
  | { kind: 'drop'; rule: string }
  | { kind: 'transaction-conflict'; rule: string };

export interface FaultCounts {
  seed: number;
  /** Epoch milliseconds when the stack became ready (windows count from here); absent before. */
  readyAt?: number;
  /** Per rule, in configuration order: the calls (invocations) it matched and the faults it injected. */
  rules: { rule: FaultRule; text: string; seen: number; injected: number }[];
}

interface RuleState {
  rule: FaultRule;
  text: string;
  /** `subject` is `service:Operation` or a function's logical id; `tables` those a DynamoDB call touches. */
  matches: (subject: string, tables?: string[]) => boolean;
  seen: number;
  injected: number;
}

export interface InjectorOptions {
  log?: (line: string) => void;
  now?: () => number;
}

/** Decides, call by call and invocation by invocation, which fault the configuration injects. */
export class FaultInjector implements InvocationFaults {
  private readonly states: RuleState[];
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readyAt: number | undefined;

  constructor(
    readonly config: FaultConfig,
    options: InjectorOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.states = config.rules.map((rule) => {
      const text = formatRule(rule);
      if ('function' in rule) return { rule, text, matches: (logicalId) => logicalId === rule.function, seen: 0, injected: 0 };
      const { service, matches } = operationPattern(rule.operation);
      const touches = (tables: string[] = []) => rule.table === undefined || tables.includes(rule.table);
      return { rule, text, matches: (call, tables) => call.startsWith(`${service}:`) && matches(call.slice(service.length + 1)) && touches(tables), seen: 0, injected: 0 };
    });
  }

  /** Windows count from now; nothing is injected before. */
  arm(): void {
    this.readyAt = this.now();
  }

  /** Whether DynamoDB writes must be tracked for the transaction-conflict kind. */
  get emulatesTransactionConflicts(): boolean {
    return this.config.rules.some((rule) => rule.kind === 'transaction-conflict');
  }

  /** Milliseconds to hold a call before it reaches the emulator (the `slow` rules that apply). */
  latencyOf(call: AwsCall): number {
    let latency = 0;
    for (const state of this.applicable(`${call.service}:${call.operation}`, ['slow'], call.tables)) {
      if (this.fires(state)) latency += (state.rule as { latencyMs: number }).latencyMs;
    }
    return latency;
  }

  /** The error (or dropped connection) a call meets, if any; `collides` says whether DynamoDB's conflict rules refuse it. */
  faultOf(call: AwsCall, collides = false): OperationFault | undefined {
    let fault: OperationFault | undefined;
    for (const state of this.applicable(`${call.service}:${call.operation}`, ['throttle', 'internal-error', 'drop', 'transaction-conflict'], call.tables)) {
      const { rule } = state as { rule: OperationRule };
      // Every matching rule counts the call; only the first that fires decides it.
      if (!this.fires(state, fault === undefined && (rule.kind !== 'transaction-conflict' || collides))) continue;
      if (rule.kind === 'throttle') {
        const errors = THROTTLING_ERRORS[call.service];
        const name = rule.error && rule.error in errors ? rule.error : (Object.keys(errors)[0] as string);
        fault = { kind: 'throttle', ...(errors[name] as { code: string; status: number }), rule: state.text };
      } else if (rule.kind === 'internal-error') fault = { kind: 'internal-error', ...INTERNAL_ERRORS[call.service], rule: state.text };
      else fault = { kind: rule.kind as 'drop' | 'transaction-conflict', rule: state.text };
      this.log(`${call.service}:${call.operation} ${rule.kind} (${state.text}; ${state.injected} of ${state.seen})`);
    }
    return fault;
  }

  /** For the function pools: `running` is how many invocations of the function are in flight already. */
  invocationFault(logicalId: string, running: number): InvocationFault | undefined {
    let fault: InvocationFault | undefined;
    for (const state of this.applicable(logicalId, ['reserved-concurrency', 'outage', 'timeout'])) {
      const { rule } = state as { rule: FunctionRule };
      const beyondCap = rule.kind !== 'reserved-concurrency' || running >= rule.concurrency;
      if (!this.fires(state, fault === undefined && beyondCap)) continue;
      fault = rule.kind === 'reserved-concurrency' ? 'throttle' : rule.kind;
      this.log(`${logicalId} ${fault} (${state.text}; ${state.injected} of ${state.seen})`);
    }
    return fault;
  }

  counts(): FaultCounts {
    return {
      seed: this.config.seed,
      ...(this.readyAt === undefined ? {} : { readyAt: this.readyAt }),
      rules: this.states.map(({ rule, text, seen, injected }) => ({ rule, text, seen, injected })),
    };
  }

  private applicable(subject: string, kinds: string[], tables?: string[]): RuleState[] {
    if (this.readyAt === undefined) return [];
    const elapsed = (this.now() - this.readyAt) / 1000;
    return this.states.filter(({ rule, matches }) => {
      if (!kinds.includes(rule.kind) || !matches(subject, tables)) return false;
      const [start = 0, end = Number.POSITIVE_INFINITY] = rule.window ?? [];
      return elapsed >= start && elapsed < end;
    });
  }

  /** Counts a matching call; true when the rule injects its fault into it. */
  private fires(state: RuleState, eligible = true): boolean {
    state.seen += 1;
    const { rule } = state;
    if (!eligible || state.seen < (rule.fromCall ?? 1) || state.injected >= (rule.times ?? Number.POSITIVE_INFINITY)) return false;
    if (rule.rate !== undefined && rule.rate < 1 && draw(this.config.seed, this.states.indexOf(state), state.seen) >= rule.rate) return false;
    state.injected += 1;
    return true;
  }
}

/** The counts as the stack prints them when it stops. */
export function faultReport(counts: FaultCounts): string {
  const width = Math.max(...counts.rules.map((rule) => rule.text.length));
  return ['Faults injected (seed ' + counts.seed + '):', ...counts.rules.map((rule) => `  ${rule.text.padEnd(width)}  ${rule.injected} of ${rule.seen} matching`)].join('\n');
}
