// `npm run bench`: cold start, cost per order and throughput, measured in one run and written to
// bench/results/<date>.json and .md (the markdown is printed at the end). Progress goes to stderr.
//   --quick             a short run (fewer rounds, 10 s steps, a small burst): a smoke test, not figures
//   --skip-cold-start   parts 2 and 3 only
//   --skip-load         part 1 only (no local stack)
//   --rates 25,50,100   steady rates to run, orders/s
//   --seconds N         length of every steady step (default: 30 s at the lowest rate, 60 s at the others)
//   --burst N           orders in the burst (0: none)
//   --rounds N          fresh processes per cold start variant
//   --function-concurrency N, --poller-concurrency N   the local runtime's pool sizes (its defaults otherwise)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { createResolver, loadTemplate } from '../local/template';
import type { Tally } from './awsRequests';
import { bestOf, emulatorCeiling, measureEmulatorCapacity, type EmulatorCapacity } from './capacity';
import { measureColdStart, TARGET_BUNDLE_KB, TARGET_INIT_RATIO, type ColdStartResult } from './coldStart';
import { callLatencies, measuredDesignCost, originalDesignCost, repriceDynamo, type Architecture, type FunctionConfig } from './cost';
import { launchHost, type CpuSample, type Host, type HostOptions } from './host';
import { burstLoad, orderFactory, seed, steadyLoad, type StepResult, type Target } from './load';
import type { Observed } from './observed';
import { PRICES, PRICES_BEFORE_2024_11 } from './prices';
import { Progress } from './progress';
import { toMarkdown, type BenchResults, type StepWithCost, type TargetCheck } from './report';
import { percentile, round } from './stats';

const ROOT = resolvePath(__dirname, '..');
const SUSTAINED_TARGET = 100;
const SUSTAINED_SECONDS = 60;
const P99_TARGET_MS = 2000;
const P99_TARGET_RATE = 50;

interface Settings {
  quick: boolean;
  /** Any option that changes what is measured: the results get their own file, beside the standard run's. */
  custom: boolean;
  coldStart: boolean;
  load: boolean;
  rounds: number;
  rates: number[];
  secondsFor: (rate: number, index: number) => number;
  burst: number;
  capacitySeconds: number;
  drainCapSeconds: number;
  host: HostOptions;
}

function settings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      'skip-cold-start': { type: 'boolean' },
      'skip-load': { type: 'boolean' },
      rates: { type: 'string' },
      seconds: { type: 'string' },
      burst: { type: 'string' },
      rounds: { type: 'string' },
      'function-concurrency': { type: 'string' },
      'poller-concurrency': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const number = (text: string | undefined, fallback: number, name: string) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} ${text} is not a number >= 0`);
    return value;
  };
  const rates = values.rates ? values.rates.split(',').map((rate) => number(rate, 0, 'rates')).filter((rate) => rate > 0) : quick ? [25, 50, 100] : [25, 50, 100, 200];
  const seconds = values.seconds === undefined ? undefined : number(values.seconds, 0, 'seconds');
  const custom = ['skip-cold-start', 'skip-load', 'rates', 'seconds', 'burst', 'rounds', 'function-concurrency', 'poller-concurrency'].some((name) => name in values);
  return {
    quick,
    custom,
    coldStart: values['skip-cold-start'] !== true,
    load: values['skip-load'] !== true,
    rounds: number(values.rounds, quick ? 3 : 7, 'rounds'),
    rates,
    // The lowest rate only shows the unloaded latency; the others are held for the target's 60 s.
    secondsFor: (_rate, index) => seconds ?? (quick ? 10 : index === 0 ? 30 : SUSTAINED_SECONDS),
    burst: number(values.burst, quick ? 250 : 1000, 'burst'),
    capacitySeconds: quick ? 1.5 : 2,
    drainCapSeconds: quick ? 30 : 120,
    host: {
      ...(values['function-concurrency'] ? { functionConcurrency: number(values['function-concurrency'], 4, 'function-concurrency') } : {}),
      ...(values['poller-concurrency'] ? { pollerConcurrency: number(values['poller-concurrency'], 3, 'poller-concurrency') } : {}),
    },
  };
}

/** The commit measured, and whether the code that runs (src/, the template, the contract) differed from it. */
function revision(): { commit: string; uncommittedChanges: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const changes = execFileSync('git', ['status', '--porcelain', '--', 'src', 'template.yaml', 'swagger.yaml', 'package-lock.json'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return { commit, uncommittedChanges: changes !== '' };
  } catch {
    return { commit: 'unknown', uncommittedChanges: false };
  }
}

/** Memory and architecture of every function, as the template sets them (Globals merged). */
function functionConfigs(): Record<string, FunctionConfig> {
  const template = loadTemplate(join(ROOT, 'template.yaml'));
  const resolve = createResolver(template, {});
  const configs: Record<string, FunctionConfig> = {};
  for (const resource of Object.values(template.resources)) {
    if (resource.type !== 'AWS::Serverless::Function') continue;
    const architectures = resolve(resource.properties.Architectures) as string[] | undefined;
    configs[resource.logicalId] = { memoryMb: Number(resolve(resource.properties.MemorySize) ?? 128), architecture: (architectures?.[0] ?? 'x86_64') as Architecture };
  }
  return configs;
}

/** Requests per order of every call, over all callers, without the pollers' empty receives. */
function callsPerOrder(requests: Tally, orders: number): Record<string, number> {
  const perOrder: Record<string, number> = {};
  for (const byCall of Object.values(requests)) {
    for (const [call, stats] of Object.entries(byCall)) perOrder[call] = (perOrder[call] ?? 0) + (stats.requests - stats.emptyReceives) / Math.max(1, orders);
  }
  return perOrder;
}

interface CpuMark {
  host: CpuSample;
  self: NodeJS.CpuUsage;
}

const markCpu = (host: Host): CpuMark => ({ host: host.cpu(), self: process.cpuUsage() });

/** CPU milliseconds per accepted order, by who spent them, from the start of a step to its last final state. */
function cpuPerOrder(from: CpuMark, to: CpuMark, orders: number): StepWithCost['cpuMsPerOrder'] {
  const per = (seconds: number) => round((seconds * 1000) / Math.max(1, orders), 1);
  const self = process.cpuUsage(from.self);
  const entry = {
    hostMainThread: per(to.host.hostMainThread - from.host.hostMainThread),
    lambdaWorkers: per(to.host.hostOtherThreads - from.host.hostOtherThreads),
    dynamoDbLocal: per(to.host.children - from.host.children),
    loadGenerator: per((self.user + self.system) / 1e6),
  };
  return { ...entry, total: round(entry.hostMainThread + entry.lambdaWorkers + entry.dynamoDbLocal + entry.loadGenerator, 1) };
}

function withCost(step: StepResult, observed: Observed, logBytes: number, host: Host, configs: Record<string, FunctionConfig>, capacity: EmulatorCapacity | undefined, cpuMsPerOrder: StepWithCost['cpuMsPerOrder']): StepWithCost {
  const orders = step.orders.accepted;
  const measured = measuredDesignCost({ orders, apiRequests: step.apiRequests, requests: observed.requests, invocations: observed.invocations, functionIds: host.ready.functionIds, functions: configs });
  const cost = { ...measured, dollarsPerMillionOrdersOldDynamoPrices: repriceDynamo(measured, PRICES, PRICES_BEFORE_2024_11) };
  const calls = callsPerOrder(observed.requests, orders);
  const lambda: StepWithCost['lambda'] = {};
  // From the first order sent to the last one final: the time the functions had for this step's work.
  const activeMs = (step.sendSeconds + step.drainSeconds) * 1000;
  for (const [name, stats] of Object.entries(observed.invocations)) {
    const logicalId = host.ready.functionIds[name] ?? name;
    const slots = host.ready.slots[logicalId] ?? 1;
    lambda[logicalId] = {
      invocations: stats.invocations,
      p50Ms: round(percentile(stats.durationSamplesMs, 50), 1),
      p99Ms: round(percentile(stats.durationSamplesMs, 99), 1),
      coldStarts: stats.coldStarts,
      slots,
      busy: round(stats.billedMs / (activeMs * slots), 2),
    };
  }
  const samples = new Map<string, number[]>();
  const counts = new Map<string, number>();
  for (const byCall of Object.values(observed.requests)) {
    for (const [call, stats] of Object.entries(byCall)) {
      samples.set(call, [...(samples.get(call) ?? []), ...stats.latencySamples]);
      counts.set(call, (counts.get(call) ?? 0) + stats.requests);
    }
  }
  const callLatencyMs = Object.fromEntries(
    [...samples].map(([call, values]) => [call, { p50: round(percentile(values, 50), 1), p99: round(percentile(values, 99), 1), requests: counts.get(call) ?? 0 }]),
  );
  return { ...step, cost, cpuMsPerOrder, callLatencyMs, logBytesPerOrder: round(logBytes / Math.max(1, orders), 0), callsPerOrder: calls, ...(capacity ? { ceiling: emulatorCeiling(capacity, calls) } : {}), lambda, requests: observed.requests };
}

function targets(cold: ColdStartResult | undefined, steps: StepWithCost[], cost: BenchResults['cost']): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (cold) {
    const largest = [...cold.functions].sort((a, b) => b.production.jsKb - a.production.jsKb)[0];
    const over = cold.functions.filter((fn) => !fn.bundleTargetMet);
    checks.push({
      name: 'Bundle size',
      goal: `every bundle ≤ ${TARGET_BUNDLE_KB} KB minified`,
      reached: `largest ${largest?.production.jsKb} KB (${largest?.logicalId}); ${over.length ? `over: ${over.map((fn) => `${fn.logicalId} ${fn.production.jsKb} KB`).join(', ')}` : 'none over'}`,
      met: over.length === 0,
    });
    const span = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return `${Math.round((sorted[0] ?? 0) * 100)}–${Math.round((sorted[sorted.length - 1] ?? 0) * 100)} %`;
    };
    const ratios = cold.functions.map((fn) => fn.ratio);
    const relative = (variant: 'sdkFloor' | 'sdkTreeShakenNoSourceMaps') => cold.functions.map((fn) => fn.init[variant].medianMs / fn.init.naive.medianMs);
    checks.push({
      name: 'Module init',
      goal: `≤ ${TARGET_INIT_RATIO * 100} % of the naive bundle's`,
      reached: `${span(ratios)} (median ${Math.round(percentile(ratios, 50) * 100)} %); the external SDK alone takes ${span(relative('sdkFloor'))} of the naive init; with the SDK bundled from its ES modules and no source maps: ${span(relative('sdkTreeShakenNoSourceMaps'))}`,
      met: cold.functions.every((fn) => fn.initTargetMet),
    });
  }
  if (cost) {
    checks.push({
      name: 'Cost per order',
      goal: 'below the original design, shipping transaction kept',
      reached: `US$ ${cost.ours.dollarsPerMillionOrders.toFixed(2)} vs ${cost.original.dollarsPerMillionOrders.toFixed(2)} per million orders (${cost.step})`,
      met: cost.ours.dollarsPerMillionOrders < cost.original.dollarsPerMillionOrders,
    });
  }
  const long = steps.filter((step) => step.kind === 'steady' && step.sendSeconds >= SUSTAINED_SECONDS);
  const best = [...long].sort((a, b) => b.finalPerSecond - a.finalPerSecond)[0];
  checks.push({
    name: 'Throughput',
    goal: `≥ ${SUSTAINED_TARGET} orders/s reaching a final state, sustained ${SUSTAINED_SECONDS} s`,
    reached: best ? `${best.finalPerSecond} orders/s at ${best.targetRate}/s offered for ${best.sendSeconds} s (backlog at end ${best.backlogAtEnd})` : 'no step of 60 s in this run',
    // 1 % slack: the window's edges cost a steady stream a fraction of an order.
    met: best ? best.finalPerSecond >= SUSTAINED_TARGET * 0.99 && best.orders.stillOpen === 0 : null,
  });
  const at50 = steps.find((step) => step.kind === 'steady' && step.targetRate === P99_TARGET_RATE);
  checks.push({
    name: 'Latency',
    goal: `p99 POST→final ≤ ${P99_TARGET_MS / 1000} s at ${P99_TARGET_RATE} orders/s`,
    reached: at50 ? `p99 ${at50.postToFinalMs.p99} ms (p50 ${at50.postToFinalMs.p50} ms) over ${at50.sendSeconds} s` : 'no 50 orders/s step in this run',
    met: at50 ? at50.postToFinalMs.p99 <= P99_TARGET_MS && at50.orders.stillOpen === 0 : null,
  });
  return checks;
}

async function main(): Promise<void> {
  const options = settings(process.argv.slice(2));
  const started = new Date();
  const loadAverageAtStart = loadavg();
  // Other work on the machine skews every figure here: keep a record of how busy it was.
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(loadavg()[0] ?? 0), 5000);
  sampler.unref();
  const phases = (options.coldStart ? 1 : 0) + (options.load ? 5 + options.rates.length + (options.burst > 0 ? 1 : 0) : 0);
  const progress = new Progress(phases);
  const notes: string[] = [];

  let cold: ColdStartResult | undefined;
  if (options.coldStart) cold = await measureColdStart(ROOT, options.rounds, progress);

  const steps: StepWithCost[] = [];
  let capacity: EmulatorCapacity | undefined;
  const capacityRuns: EmulatorCapacity[] = [];
  if (options.load) {
    progress.phase('Starting the local stack (emulators, bundles, workers)');
    const host = await launchHost(ROOT, options.host);
    const stopHost = () => void host.stop().finally(() => process.exit(130));
    process.once('SIGINT', stopHost);
    process.once('SIGTERM', stopHost);
    try {
      const configs = functionConfigs();
      const capacityBefore = await measureEmulatorCapacity(host.ready, options.capacitySeconds, progress, 'bench-capacity-before');
      capacityRuns.push(capacityBefore);
      capacity = capacityBefore;
      progress.phase('Seeding accounts and stock');
      const target: Target = {
        url: host.ready.url,
        dynamoEndpoint: host.ready.dynamoEndpoint,
        orderTable: host.ready.tables.OrderTable ?? '',
        accountTable: host.ready.tables.AccountTable ?? '',
        stockTable: host.ready.tables.StockTable ?? '',
      };
      await seed(target);
      // Every function warm and the JIT of every process past its first requests, as after a
      // while in service; the steps measure a running system, not its first seconds.
      await steadyLoad(target, 20, options.quick ? 3 : 6, options.drainCapSeconds, orderFactory(1), progress, 'Warm-up (not measured)');
      await host.drain();
      const nextOrder = orderFactory(20261124);
      let saturated = false;
      for (const [index, rate] of options.rates.entries()) {
        // The target rates always run; above them, a saturated stack would only pile up more.
        if (saturated && rate > SUSTAINED_TARGET) {
          notes.push(`${rate} orders/s was not run: a lower rate already saturated the stack.`);
          progress.phase(`Steady load: ${rate} orders/s skipped (saturated)`);
          continue;
        }
        const cpuBefore = markCpu(host);
        const step = await steadyLoad(target, rate, options.secondsFor(rate, index), options.drainCapSeconds, nextOrder, progress);
        const cpuAfter = markCpu(host);
        const { observed, logs } = await host.drain();
        const logBytes = Object.entries(logs.bySource).reduce((total, [source, volume]) => (Object.values(host.ready.functionIds).includes(source) ? total + volume.bytes : total), 0);
        steps.push(withCost(step, observed, logBytes, host, configs, capacity, cpuPerOrder(cpuBefore, cpuAfter, step.orders.accepted)));
        if (logs.errors.length > 0) notes.push(`${step.label}: ${logs.errors.length} error lines from the stack, first: ${logs.errors[0]}`);
        // Well below the offered rate, or orders left open: higher rates would only pile up more.
        if (step.finalPerSecond < 0.8 * rate || step.orders.stillOpen > 0) saturated = true;
      }
      if (options.burst > 0) {
        const cpuBefore = markCpu(host);
        const step = await burstLoad(target, options.burst, options.drainCapSeconds, nextOrder, progress);
        const cpuAfter = markCpu(host);
        const { observed, logs } = await host.drain();
        const logBytes = Object.entries(logs.bySource).reduce((total, [source, volume]) => (Object.values(host.ready.functionIds).includes(source) ? total + volume.bytes : total), 0);
        steps.push(withCost(step, observed, logBytes, host, configs, capacity, cpuPerOrder(cpuBefore, cpuAfter, step.orders.accepted)));
      }
      // Measured again once the stack is idle; the ceilings use the better figure of each call.
      const capacityAfter = await measureEmulatorCapacity(host.ready, options.capacitySeconds, progress, 'bench-capacity-after');
      capacityRuns.push(capacityAfter);
      capacity = bestOf(capacityBefore, capacityAfter);
      for (const step of steps) step.ceiling = emulatorCeiling(capacity, step.callsPerOrder);
    } finally {
      process.off('SIGINT', stopHost);
      process.off('SIGTERM', stopHost);
      await host.stop();
    }
  }
  progress.stop();
  clearInterval(sampler);

  // The headline cost: the 100 orders/s step (batches as they are at the target's rate), else the busiest steady step.
  const steady = steps.filter((step) => step.kind === 'steady' && step.orders.accepted > 0);
  const headline = steady.find((step) => step.targetRate === SUSTAINED_TARGET) ?? steady[steady.length - 1];
  let cost: BenchResults['cost'];
  if (headline) {
    const original = originalDesignCost(headline.productsPerOrder, callLatencies(headline.requests));
    cost = {
      step: headline.label.split(' (')[0] ?? headline.label,
      ours: headline.cost,
      original: { ...original, dollarsPerMillionOrdersOldDynamoPrices: repriceDynamo(original, PRICES, PRICES_BEFORE_2024_11) },
    };
    notes.push(
      `Logs: the functions wrote ${headline.logBytesPerOrder} bytes per order (Powertools JSON at INFO), which CloudWatch Logs would ingest at US$ 0.50 per GB: US$ ${((headline.logBytesPerOrder / 1e9) * 0.5 * 1e6).toFixed(2)} per million orders, not in the comparison (the original's logging is not modelled).`,
      `The queue pollers made ${headline.cost.emptyReceivesPerOrder.toFixed(2)} empty receives per order (fauxqs answers waiting long polls when another poller takes the message); on AWS an event source mapping's empty polls are a per-queue idle cost, so they are not priced per order.`,
    );
  }
  notes.push(
    "DynamoDB capacity is DynamoDB Local's own ConsumedCapacity (ReturnConsumedCapacity INDEXES on every call), except that a write transaction's items are billed at least 2 WRU each: DynamoDB Local reports one item's units per table in a transaction (2 for two products, where AWS bills 4).",
    'Lambda durations are those measured here (emulators, a shared 2-core machine, warm workers with a compile cache): higher than on AWS, so the Lambda duration lines overstate both designs.',
    'Throughput and latency are of the local runtime on this machine: emulators, functions, pollers and the load generator share its two cores.',
  );

  const results: BenchResults = {
    date: started.toISOString(),
    revision: revision(),
    quick: options.quick,
    options: { rates: options.rates, burst: options.burst, rounds: options.rounds, ...options.host },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      loadAverageAtStart,
      loadAverageDuringRun: { median: round(percentile(loadSamples, 50), 2), max: round(Math.max(0, ...loadSamples), 2) },
    },
    prices: PRICES.source,
    ...(cold ? { coldStart: cold } : {}),
    ...(capacity ? { capacity, capacityRuns } : {}),
    steps,
    ...(cost ? { cost } : {}),
    targets: targets(cold, steps, cost),
    notes,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = `${started.toISOString().slice(0, 10)}${options.quick ? '-quick' : ''}${options.custom ? '-custom' : ''}`;
  const markdown = toMarkdown(results);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, (key, value: unknown) => (key === 'latencySamples' || key === 'durationSamplesMs' ? undefined : value), 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown);
  process.stdout.write(`${markdown}\nWritten to bench/results/${name}.json and .md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
