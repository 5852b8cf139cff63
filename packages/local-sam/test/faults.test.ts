import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkRuleTargets,
  draw,
  FaultInjector,
  formatRule,
  parseFaultConfig,
  parseInlineFaults,
  readFaultSpec,
  type FaultConfig,
  type FaultRule,
} from '../src/faults';
import { loadTemplate } from '../src/template';

const TEMPLATE_RESOURCES = Object.values(loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml')).resources);
const TEMPLATE = {
  functions: TEMPLATE_RESOURCES.filter((resource) => resource.type === 'AWS::Serverless::Function').map((resource) => resource.logicalId),
  tables: TEMPLATE_RESOURCES.filter((resource) => resource.type === 'AWS::DynamoDB::Table').map((resource) => resource.logicalId),
};

const config = (...rules: FaultRule[]): FaultConfig => ({ seed: 7, rules });

describe('the fault configuration', () => {
  const rules: FaultRule[] = [
    { operation: 'sns:PublishBatch', kind: 'throttle', window: [0, 10] },
    { operation: 'dynamodb:*', kind: 'throttle', error: 'ThrottlingException', rate: 0.1 },
    { operation: 'sqs:ReceiveMessage', kind: 'slow', latencyMs: 800, fromCall: 3, times: 5 },
    { operation: 'dynamodb:TransactWriteItems', kind: 'transaction-conflict' },
    { operation: 'sqs:Send*', kind: 'drop', window: [30] },
    { function: 'CloseTicketFunction', kind: 'reserved-concurrency', concurrency: 1 },
    { function: 'SeatCheckerFunction', kind: 'outage', window: [5, 35] },
    { function: 'TicketApiFunction', kind: 'timeout', times: 1 },
    { operation: 'dynamodb:UpdateItem', table: 'IdempotencyTable', kind: 'internal-error', times: 3 },
  ];

  it('accepts every kind with its options, and a missing seed as 1', () => {
    expect(parseFaultConfig({ seed: 7, rules })).toEqual({ seed: 7, rules });
    expect(parseFaultConfig({ rules: [] })).toEqual({ seed: 1, rules: [] });
  });

  it('reads the inline form as the same configuration, and shows each rule in it', () => {
    const inline = `seed=7; ${rules.map(formatRule).join('; ')}`;
    expect(parseFaultConfig(parseInlineFaults(inline))).toEqual({ seed: 7, rules });
    expect(formatRule(rules[0] as FaultRule)).toBe('sns:PublishBatch throttle window=0-10');
    expect(formatRule(rules[4] as FaultRule)).toBe('sqs:Send* drop window=30-');
    expect(formatRule(rules[8] as FaultRule)).toBe('dynamodb:UpdateItem internal-error table=IdempotencyTable times=3');
  });

  it('reads a YAML or JSON file, and refuses a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    try {
      writeFileSync(join(dir, 'faults.yaml'), 'seed: 3\nrules:\n  - { operation: sns:Publish, kind: internal-error, rate: 0.5 }\n');
      writeFileSync(join(dir, 'faults.json'), JSON.stringify({ rules: [{ function: 'CloseTicketFunction', kind: 'outage' }] }));
      expect(readFaultSpec(join(dir, 'faults.yaml'))).toEqual({ seed: 3, rules: [{ operation: 'sns:Publish', kind: 'internal-error', rate: 0.5 }] });
      expect(readFaultSpec(join(dir, 'faults.json'))).toEqual({ seed: 1, rules: [{ function: 'CloseTicketFunction', kind: 'outage' }] });
      expect(() => readFaultSpec(join(dir, 'absent.yaml'))).toThrow(/no file .*absent\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ operation: 'sqs:SendMesage', kind: 'throttle' }, /rule 1: sqs has no operation SendMesage \(did you mean sqs:SendMessage\?\)/],
    [{ operation: 'kinesis:PutRecord', kind: 'throttle' }, /service one of dynamodb, sqs, sns/],
    [{ operation: 'sns:Publish', kind: 'outage' }, /kind "outage" is not one of throttle, internal-error, slow, drop, transaction-conflict/],
    [{ function: 'CloseTicketFunction', kind: 'throttle' }, /kind "throttle" is not one of reserved-concurrency, outage, timeout/],
    [{ operation: 'sns:Publish', kind: 'throttle', rate: 1.5 }, /rate must be a number from 0 to 1, got 1.5/],
    [{ operation: 'sns:Publish', kind: 'throttle', rate: -0.1 }, /rate must be a number from 0 to 1/],
    [{ operation: 'sns:Publish', kind: 'throttle', window: [10, 5] }, /window must be \[start, end\]/],
    [{ operation: 'sns:Publish', kind: 'throttle', fromCall: 0 }, /fromCall must be an integer >= 1/],
    [{ operation: 'sns:Publish', kind: 'throttle', latencyMs: 5 }, /throttle takes no latencyMs/],
    [{ operation: 'sns:Publish', kind: 'slow' }, /slow needs latencyMs/],
    [{ operation: 'sns:Publish', kind: 'throttle', error: 'ProvisionedThroughputExceededException' }, /not a throttling error of sns \(one of ThrottledException, Throttling\)/],
    [{ operation: 'sqs:SendMessage', kind: 'transaction-conflict' }, /DynamoDB operations only/],
    [{ operation: 'sns:Publish', function: 'CloseTicketFunction', kind: 'outage' }, /exactly one of "operation"/],
    [{ function: 'CloseTicketFunction', kind: 'reserved-concurrency', concurrency: 1.5 }, /concurrency must be an integer >= 0/],
    [{ operation: 'sqs:SendMessage', table: 'TicketTable', kind: 'throttle' }, /table applies to DynamoDB operations only/],
    [{ operation: 'dynamodb:PutItem', table: '', kind: 'throttle' }, /table must be a logical id/],
    [{ function: 'CloseTicketFunction', table: 'TicketTable', kind: 'outage' }, /outage takes no table/],
  ])('refuses %j with a clear error', (rule, message) => {
    expect(() => parseFaultConfig({ rules: [rule] })).toThrow(message);
  });

  it('refuses unknown keys, a seed that is not an integer and rules that are not a list', () => {
    expect(() => parseFaultConfig({ rules: [], sed: 1 })).toThrow(/unknown key sed/);
    expect(() => parseFaultConfig({ seed: 'x', rules: [] })).toThrow(/seed must be an integer/);
    expect(() => parseFaultConfig({ seed: 1 })).toThrow(/"rules" must be a list/);
    expect(() => parseFaultConfig(parseInlineFaults('sns:Publish throttle rate'))).toThrow(/rate must be a number/);
  });

  it('refuses a rule for a function or a table the template does not have', () => {
    const rules = config({ function: 'CloseTicketFunction', kind: 'outage' }, { function: 'CloseTickets', kind: 'outage' });
    expect(() => checkRuleTargets(rules, TEMPLATE)).toThrow(/rule 2: the template has no function CloseTickets \(it has .*CloseTicketFunction/);
    const tableRules = config({ operation: 'dynamodb:*', table: 'TicketTable', kind: 'throttle' }, { operation: 'dynamodb:*', table: 'Idempotency', kind: 'throttle' });
    expect(() => checkRuleTargets(tableRules, TEMPLATE)).toThrow(/rule 2: the template has no table Idempotency \(it has .*IdempotencyTable/);
    expect(() => checkRuleTargets(config({ function: 'CloseTicketFunction', kind: 'outage' }, { operation: 'dynamodb:GetItem', table: 'SeatTable', kind: 'slow', latencyMs: 5 }), TEMPLATE)).not.toThrow();
  });
});

describe('the seeded draws', () => {
  const sequence = (seed: number) => Array.from({ length: 200 }, (_, n) => draw(seed, 0, n));

  it('are the same for the same seed and differ for another seed or rule', () => {
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(43)).not.toEqual(sequence(42));
    expect(draw(42, 1, 5)).not.toBe(draw(42, 0, 5));
  });

  it('spread over [0, 1)', () => {
    const draws = sequence(9);
    expect(draws.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(draws.filter((value) => value < 0.5).length).toBeGreaterThan(70);
    expect(draws.filter((value) => value < 0.5).length).toBeLessThan(130);
  });
});

describe('the fault injector', () => {
  /** An injector on a clock the test moves, armed at 0 s. */
  function injectorFor(...rules: FaultRule[]) {
    let now = 1_000_000;
    const injector = new FaultInjector(config(...rules), { now: () => now });
    injector.arm();
    return { injector, advance: (seconds: number) => (now += seconds * 1000) };
  }
  const publish = { service: 'sns', operation: 'PublishBatch' } as const;

  it('injects nothing, and counts nothing, before the stack is ready', () => {
    const injector = new FaultInjector(config({ operation: 'sns:*', kind: 'throttle' }));
    expect(injector.faultOf(publish)).toBeUndefined();
    expect(injector.counts().rules[0]).toMatchObject({ seen: 0, injected: 0 });
  });

  it('matches operations by service and name, with * as a wildcard', () => {
    const { injector } = injectorFor({ operation: 'sqs:Send*', kind: 'internal-error' });
    expect(injector.faultOf({ service: 'sqs', operation: 'SendMessageBatch' })).toMatchObject({ kind: 'internal-error', code: 'InternalFailure', status: 500 });
    expect(injector.faultOf({ service: 'sqs', operation: 'ReceiveMessage' })).toBeUndefined();
    expect(injector.faultOf({ service: 'sns', operation: 'SendMessage' })).toBeUndefined();
    expect(injector.counts().rules[0]).toMatchObject({ seen: 1, injected: 1 });
  });

  it('answers each service’s own throttling error, the first by default or the one named', () => {
    const { injector } = injectorFor({ operation: 'dynamodb:GetItem', kind: 'throttle' }, { operation: 'dynamodb:PutItem', kind: 'throttle', error: 'ThrottlingException' });
    expect(injector.faultOf({ service: 'dynamodb', operation: 'GetItem' })).toMatchObject({ code: 'ProvisionedThroughputExceededException', status: 400 });
    expect(injector.faultOf({ service: 'dynamodb', operation: 'PutItem' })).toMatchObject({ code: 'ThrottlingException', status: 400 });
  });

  it('applies a rule only inside its window, counted from when the stack was ready', () => {
    const { injector, advance } = injectorFor({ operation: 'sns:PublishBatch', kind: 'throttle', window: [10, 20] });
    expect(injector.faultOf(publish)).toBeUndefined();
    advance(10);
    expect(injector.faultOf(publish)).toMatchObject({ kind: 'throttle', code: 'Throttled', status: 429 });
    advance(9.999);
    expect(injector.faultOf(publish)).toBeDefined();
    advance(0.001);
    expect(injector.faultOf(publish)).toBeUndefined();
    expect(injector.counts().rules[0]).toMatchObject({ seen: 2, injected: 2 });
  });

  it('starts at the Nth matching call and stops after `times` faults', () => {
    const { injector } = injectorFor({ operation: 'sns:PublishBatch', kind: 'drop', fromCall: 3, times: 2 });
    expect(Array.from({ length: 6 }, () => injector.faultOf(publish)?.kind)).toEqual([undefined, undefined, 'drop', 'drop', undefined, undefined]);
    expect(injector.counts().rules[0]).toMatchObject({ seen: 6, injected: 2 });
  });

  it('injects at the configured rate, the same calls for the same seed', () => {
    const run = () => {
      const { injector } = injectorFor({ operation: 'dynamodb:*', kind: 'throttle', rate: 0.25 });
      return Array.from({ length: 400 }, () => injector.faultOf({ service: 'dynamodb', operation: 'PutItem' }) !== undefined);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(60);
    expect(first.filter(Boolean).length).toBeLessThan(140);
  });

  it('lets the first rule that fires decide a call, while every matching rule counts it', () => {
    const { injector } = injectorFor({ operation: 'sns:*', kind: 'internal-error', times: 1 }, { operation: 'sns:PublishBatch', kind: 'throttle' });
    expect(injector.faultOf(publish)?.kind).toBe('internal-error');
    expect(injector.faultOf(publish)?.kind).toBe('throttle');
    expect(injector.counts().rules.map(({ seen, injected }) => [seen, injected])).toEqual([
      [2, 1],
      [2, 1],
    ]);
  });

  it('matches a table rule only to the calls that touch that table, one of a transaction’s or a batch’s tables included', () => {
    const { injector } = injectorFor({ operation: 'dynamodb:*', table: 'IdempotencyTable', kind: 'internal-error' }, { operation: 'dynamodb:GetItem', table: 'SeatTable', kind: 'slow', latencyMs: 40 });
    expect(injector.faultOf({ service: 'dynamodb', operation: 'UpdateItem', tables: ['IdempotencyTable'] })).toMatchObject({ kind: 'internal-error', code: 'InternalServerError' });
    expect(injector.faultOf({ service: 'dynamodb', operation: 'UpdateItem', tables: ['TicketTable'] })).toBeUndefined();
    expect(injector.faultOf({ service: 'dynamodb', operation: 'TransactWriteItems', tables: ['TicketTable', 'IdempotencyTable'] })).toBeDefined();
    expect(injector.faultOf({ service: 'dynamodb', operation: 'ExecuteStatement' })).toBeUndefined();
    expect(injector.latencyOf({ service: 'dynamodb', operation: 'GetItem', tables: ['SeatTable'] })).toBe(40);
    expect(injector.latencyOf({ service: 'dynamodb', operation: 'GetItem', tables: ['TeamTable'] })).toBe(0);
    expect(injector.counts().rules.map(({ seen, injected }) => [seen, injected])).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });

  it('adds up the latency of every slow rule that applies', () => {
    const { injector } = injectorFor({ operation: 'sqs:*', kind: 'slow', latencyMs: 100 }, { operation: 'sqs:ReceiveMessage', kind: 'slow', latencyMs: 50 });
    expect(injector.latencyOf({ service: 'sqs', operation: 'ReceiveMessage' })).toBe(150);
    expect(injector.latencyOf({ service: 'sqs', operation: 'SendMessage' })).toBe(100);
    expect(injector.latencyOf({ service: 'sns', operation: 'Publish' })).toBe(0);
  });

  it('reports a transaction conflict only for a call that collides with a running write', () => {
    const { injector } = injectorFor({ operation: 'dynamodb:*', kind: 'transaction-conflict' });
    expect(injector.emulatesTransactionConflicts).toBe(true);
    expect(injector.faultOf({ service: 'dynamodb', operation: 'UpdateItem' }, false)).toBeUndefined();
    expect(injector.faultOf({ service: 'dynamodb', operation: 'UpdateItem' }, true)).toMatchObject({ kind: 'transaction-conflict' });
    expect(injector.counts().rules[0]).toMatchObject({ seen: 2, injected: 1 });
  });

  it('throttles an invocation only beyond the function’s reserved concurrency', () => {
    const { injector } = injectorFor({ function: 'CloseTicketFunction', kind: 'reserved-concurrency', concurrency: 2 });
    expect(injector.invocationFault('CloseTicketFunction', 1)).toBeUndefined();
    expect(injector.invocationFault('CloseTicketFunction', 2)).toBe('throttle');
    expect(injector.invocationFault('SeatCheckerFunction', 5)).toBeUndefined();
    expect(injector.counts().rules[0]).toMatchObject({ seen: 2, injected: 1 });
  });

  it('fails every invocation inside an outage window, and lets a chosen one run past its timeout', () => {
    const { injector, advance } = injectorFor({ function: 'SeatCheckerFunction', kind: 'outage', window: [0, 30] }, { function: 'TicketApiFunction', kind: 'timeout', fromCall: 2, times: 1 });
    expect(injector.invocationFault('SeatCheckerFunction', 0)).toBe('outage');
    expect(['TicketApiFunction', 'TicketApiFunction', 'TicketApiFunction'].map((id) => injector.invocationFault(id, 0))).toEqual([undefined, 'timeout', undefined]);
    advance(30);
    expect(injector.invocationFault('SeatCheckerFunction', 0)).toBeUndefined();
  });
});
