// `npm run bench`: cold start, cost per order, throughput, memory and the AWS-scale model, measured
// in one run and written to bench/results/<date>.json and .md (the markdown is printed at the end).
// The local stack is `npm start` itself (host.ts). Progress goes to stderr.
//   --quick             a short run (fewer rounds, 10 s steps, a small burst): a smoke test, not figures
//   --skip-cold-start   the local stack's parts only
//   --skip-load         part 1 only (no local stack)
//   --rates 25,50,100   steady rates to run, orders/s
//   --seconds N         length of every steady step (default: 30 s at the lowest rate, 60 s at the others)
//   --burst N           orders in the burst (0: none)
//   --rounds N          fresh processes per cold start variant
//   --jvm-compare       also part 5: DynamoDB Local's JVM compiling with C1 only against tiered (C1
//                       then C2), each in fresh stacks at 100 orders/s after a warm-up (jvm.ts)
//   --jvm-rounds N      stacks per JVM configuration (default 2)
import app from '../local-sam.config';
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { createResolver, loadTemplate, placeholderResource } from 'local-sam/tools';
import type { Tally } from './awsRequests';
import { awsScaleModel, TARGET_HOT_PRODUCT_ORDERS_PER_SECOND, TARGET_SPREAD_ORDERS_PER_SECOND, type ConcurrencyCaps } from './awsScale';
import { bestOf, emulatorCeiling, measureEmulatorCapacity, type EmulatorCapacity } from './capacity';
import { measureColdStart, TARGET_BUNDLE_KB, TARGET_INIT_RATIO, type ColdStartResult } from './coldStart';
import { callLatencies, measuredDesignCost, originalDesignCost, repriceDynamo, type Architecture, type FunctionConfig } from './cost';
import { cpuPerOrder, type CpuMsPerOrder, type CpuSample } from './cpu';
import { cpuSeconds, descendants, launchStack, machineCpuSeconds, startCommand, type ProcessMemory, type Stack } from './host';
import { compareJvmOptions, type JvmSettings } from './jvm';
import { burstLoad, orderFactory, seed, steadyLoad, targetOf, type StepResult } from './load';
import type { Drained } from './observed';
import { PRICES, PRICES_BEFORE_2024_11 } from './prices';
import { Progress } from './progress';
import { toMarkdown, type BenchResults, type MemorySnapshot, type StepWithCost, type TargetCheck } from './report';
import { median, percentile, round } from './stats';

const ROOT = resolvePath(__dirname, '..');
// Issue 10's targets.
const THROUGHPUT_RATES = { low: 50, high: 100 };
const SUSTAINED_SECONDS = 60;
const P99_TARGET_MS = 1000;
const BUSY_TARGET = 0.8;
const COST_TARGET = 12;
const IDLE_MEMORY_TARGET_MB = 450;
const PEAK_MEMORY_TARGET_MB = 1024;
const IDLE_SETTLE_MS = 5000;

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
  jvm: JvmSettings | undefined;
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
      'jvm-compare': { type: 'boolean' },
      'jvm-rounds': { type: 'string' },
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
  const custom = ['skip-cold-start', 'skip-load', 'rates', 'seconds', 'burst', 'rounds', 'jvm-rounds'].some((name) => name in values);
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
    capacitySeconds: quick ? 1 : 2,
    drainCapSeconds: quick ? 30 : 120,
    jvm:
      values['jvm-compare'] === true
        ? {
            rounds: number(values['jvm-rounds'], 2, 'jvm-rounds'),
            rate: THROUGHPUT_RATES.high,
            seconds: seconds ?? (quick ? 10 : SUSTAINED_SECONDS),
            // Long enough for C2 to compile DynamoDB Local's hot paths before the measured step.
            warmUp: { rate: 50, seconds: quick ? 5 : 20 },
            drainCapSeconds: quick ? 30 : 120,
          }
        : undefined,
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

/** What the benchmark needs of the template: every function's memory and architecture, local name and concurrency caps. */
function templateFacts(): { configs: Record<string, FunctionConfig>; functionIds: Record<string, string>; caps: ConcurrencyCaps } {
  const template = loadTemplate(join(ROOT, 'template.yaml'), {}, { stackName: app.stackName });
  const resolve = createResolver(template, {});
  const configs: Record<string, FunctionConfig> = {};
  const functionIds: Record<string, string> = {};
  const caps: ConcurrencyCaps = {};
  for (const resource of Object.values(template.resources)) {
    if (resource.type !== 'AWS::Serverless::Function') continue;
    const architectures = resolve(resource.properties.Architectures) as string[] | undefined;
    configs[resource.logicalId] = { memoryMb: Number(resolve(resource.properties.MemorySize) ?? 128), architecture: (architectures?.[0] ?? 'x86_64') as Architecture };
    // The local runtime names functions as provisioning does (local-sam's template.ts).
    functionIds[placeholderResource(template, resource).ref] = resource.logicalId;
    const events = Object.values((resolve(resource.properties.Events) ?? {}) as Record<string, { Type?: string; Properties?: { ScalingConfig?: { MaximumConcurrency?: number } } }>);
    const scaling = events.filter((event) => event.Type === 'SQS').map((event) => event.Properties?.ScalingConfig?.MaximumConcurrency);
    const reserved = resolve(resource.properties.ReservedConcurrentExecutions);
    if (reserved !== undefined) caps[resource.logicalId] = { concurrency: Number(reserved), by: 'ReservedConcurrentExecutions' };
    else if (scaling.length > 0 && scaling.every((cap) => cap !== undefined)) caps[resource.logicalId] = { concurrency: scaling.reduce((total, cap) => total + Number(cap), 0), by: 'its SQS event sources’ MaximumConcurrency' };
  }
  return { configs, functionIds, caps };
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
  stack: CpuSample;
  self: NodeJS.CpuUsage;
}

const markCpu = (stack: Stack): CpuMark => ({ stack: stack.cpu(), self: process.cpuUsage() });

/** CPU milliseconds per accepted order, by who spent them, from the start of a step to its last final state. */
function cpuBetween(from: CpuMark, to: CpuMark, orders: number): CpuMsPerOrder {
  const self = process.cpuUsage(from.self);
  return cpuPerOrder(from.stack, to.stack, (self.user + self.system) / 1e6, orders);
}

/** Resident memory by process role, and of all of them at the same moment. */
function snapshot(processes: ProcessMemory[]): MemorySnapshot {
  const byRole: Record<string, number> = {};
  for (const { role, rssMb } of processes) byRole[role] = round((byRole[role] ?? 0) + rssMb, 0);
  return { byRole, totalMb: round(processes.reduce((total, entry) => total + entry.rssMb, 0), 0) };
}

/** Samples npm start's processes every second; `peak()` is each role's highest RSS and the highest total since the last call. */
function memorySampler(stack: Stack) {
  let peak: MemorySnapshot = { byRole: {}, totalMb: 0 };
  const sample = () => {
    const now = snapshot(stack.memory());
    for (const [role, mb] of Object.entries(now.byRole)) peak.byRole[role] = Math.max(peak.byRole[role] ?? 0, mb);
    peak.totalMb = Math.max(peak.totalMb, now.totalMb);
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    peak(): MemorySnapshot {
      sample();
      const result = peak;
      peak = { byRole: {}, totalMb: 0 };
      return result;
    },
    stop: () => clearInterval(timer),
  };
}

/** npm start's processes once the stack has been idle a while: the highest of three samples a second apart. */
async function idleMemory(stack: Stack): Promise<MemorySnapshot> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const samples: MemorySnapshot[] = [];
  for (let index = 0; index < 3; index += 1) {
    samples.push(snapshot(stack.memory()));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return [...samples].sort((a, b) => b.totalMb - a.totalMb)[0] as MemorySnapshot;
}

function withCost(step: StepResult, drained: Drained, functionIds: Record<string, string>, configs: Record<string, FunctionConfig>, capacity: EmulatorCapacity | undefined, cpuMsPerOrder: StepWithCost['cpuMsPerOrder'], memory: MemorySnapshot): StepWithCost {
  const orders = step.orders.accepted;
  const measured = measuredDesignCost({ orders, apiRequests: step.apiRequests, requests: drained.requests, invocations: drained.invocations, functionIds, functions: configs });
  const cost = { ...measured, dollarsPerMillionOrdersOldDynamoPrices: repriceDynamo(measured, PRICES, PRICES_BEFORE_2024_11) };
  const calls = callsPerOrder(drained.requests, orders);
  const lambda: StepWithCost['lambda'] = {};
  // From the first order sent to the last one final: the time the functions had for this step's work.
  const activeMs = (step.sendSeconds + step.drainSeconds) * 1000;
  for (const [name, stats] of Object.entries(drained.invocations)) {
    const logicalId = functionIds[name] ?? name;
    const environments = Math.max(1, drained.configuration.environments[name] ?? 1);
    lambda[logicalId] = {
      invocations: stats.invocations,
      p50Ms: round(percentile(stats.durationSamplesMs, 50), 1),
      p99Ms: round(percentile(stats.durationSamplesMs, 99), 1),
      coldStarts: stats.coldStarts,
      environments,
      busy: round(stats.billedMs / (activeMs * environments), 2),
    };
  }
  const samples = new Map<string, number[]>();
  const counts = new Map<string, number>();
  for (const byCall of Object.values(drained.requests)) {
    for (const [call, stats] of Object.entries(byCall)) {
      samples.set(call, [...(samples.get(call) ?? []), ...stats.latencySamples]);
      counts.set(call, (counts.get(call) ?? 0) + stats.requests);
    }
  }
  const callLatencyMs = Object.fromEntries(
    [...samples].map(([call, values]) => [call, { p50: round(percentile(values, 50), 1), p99: round(percentile(values, 99), 1), requests: counts.get(call) ?? 0 }]),
  );
  const logBytes = Object.entries(drained.logs.bySource).reduce((total, [name, volume]) => (functionIds[name] ? total + volume.bytes : total), 0);
  return {
    ...step,
    cost,
    cpuMsPerOrder,
    callLatencyMs,
    logBytesPerOrder: round(logBytes / Math.max(1, orders), 0),
    callsPerOrder: calls,
    ...(capacity ? { ceiling: emulatorCeiling(capacity, calls) } : {}),
    lambda,
    peakMemory: memory,
    requests: drained.requests,
    counted: { partitions: drained.partitions, invocations: drained.invocations },
  };
}

/** Whether the stack ran as `npm start` runs it: the stack's node flags and script are the start script's, the workers plain Node. */
function configurationCheck(configuration: Drained['configuration'], startScript: string): BenchResults['configuration'] {
  const { script, flags } = startCommand(startScript, ROOT);
  const workerFlags = Object.values(configuration.workers);
  const sameStack = realpathSync(configuration.stack.script) === script && JSON.stringify(configuration.stack.execArgv) === JSON.stringify(flags) && configuration.stack.nodeOptions === '';
  const plainWorkers = workerFlags.length > 0 && workerFlags.every((worker) => worker.execArgv.length === 0);
  return { startScript, expectedStackFlags: flags, observed: configuration, matchesNpmStart: sameStack && plainWorkers };
}

function targets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const { coldStart: cold, steps, cost, memory, configuration, awsScale } = results;
  const checks: TargetCheck[] = [];
  if (configuration) {
    const workers = [...new Set(Object.values(configuration.observed.workers).map((worker) => JSON.stringify(worker.execArgv)))].join(', ');
    checks.push({
      name: 'One configuration',
      goal: 'the stack runs as `npm start` runs it; its Lambda workers are plain Node',
      reached: `stack: node ${[...configuration.observed.stack.execArgv, configuration.observed.stack.script.replace(`${ROOT}/`, '')].join(' ')} (npm start: ${configuration.startScript}); workers' flags: ${workers || 'none seen'}`,
      met: configuration.matchesNpmStart,
    });
  }
  if (cold) {
    const largest = [...cold.functions].sort((a, b) => b.production.zippedKb - a.production.zippedKb)[0];
    const over = cold.functions.filter((fn) => !fn.bundleTargetMet);
    checks.push({
      name: 'Bundle size',
      goal: `every deployment package ≤ ${TARGET_BUNDLE_KB} KB zipped`,
      reached: `largest ${largest?.production.zippedKb} KB zipped (${largest?.logicalId}, ${largest?.production.jsKb} KB of JavaScript); ${over.length ? `over: ${over.map((fn) => `${fn.logicalId} ${fn.production.zippedKb} KB`).join(', ')}` : 'none over'}`,
      met: over.length === 0,
    });
    const ratios = [...cold.functions].sort((a, b) => b.ratio - a.ratio);
    checks.push({
      name: 'Module init',
      goal: `every function's ≤ ${TARGET_INIT_RATIO}× its SDK clients' alone (same run)`,
      reached: `${ratios[ratios.length - 1]?.ratio}–${ratios[0]?.ratio}× (highest ${ratios[0]?.logicalId}: ${ratios[0]?.init.production.medianMs} ms vs ${ratios[0]?.init.clientsFloor.medianMs} ms)`,
      met: cold.functions.every((fn) => fn.initTargetMet),
    });
  }
  if (memory) {
    checks.push({
      name: 'Memory, idle',
      goal: `npm start's processes ≤ ${IDLE_MEMORY_TARGET_MB} MB RSS in all, idle once ready`,
      reached: `${memory.idleAfterStart.totalMb} MB (${Object.entries(memory.idleAfterStart.byRole).map(([role, mb]) => `${role} ${mb}`).join(', ')}); instrumented ${memory.idleInstrumented.totalMb} MB, after the warm-up's orders ${memory.idleAfterWarmUp.totalMb} MB`,
      met: memory.idleAfterStart.totalMb <= IDLE_MEMORY_TARGET_MB,
    });
  }
  const at = (rate: number) => steps.find((step) => step.kind === 'steady' && step.targetRate === rate);
  const high = at(THROUGHPUT_RATES.high);
  if (high) {
    checks.push({
      name: 'Memory, under load',
      goal: `npm start's processes ≤ ${PEAK_MEMORY_TARGET_MB} MB RSS in all at ${THROUGHPUT_RATES.high} orders/s`,
      reached: `peak ${high.peakMemory.totalMb} MB (${Object.entries(high.peakMemory.byRole).map(([role, mb]) => `${role} ${mb}`).join(', ')}); the stack's process held ${Object.values(high.lambda).reduce((total, fn) => total + fn.environments, 0)} execution environments that ran in the step, each a V8 isolate with a heap of its own, against ${memory ? memory.idleAfterStart.byRole['stack (node)'] ?? '?' : '?'} MB idle with one per function`,
      met: high.peakMemory.totalMb <= PEAK_MEMORY_TARGET_MB,
    });
  }
  if (awsScale) {
    checks.push({
      name: 'AWS scale, spread',
      goal: `≥ ${TARGET_SPREAD_ORDERS_PER_SECOND.toLocaleString('en')} orders/s before a partition key reaches 1,000 WCU/s (orders over many customers and products)`,
      reached: `${Math.round(awsScale.spread.ordersPerSecond).toLocaleString('en')} orders/s, bound by ${awsScale.spread.boundBy} (${awsScale.step})`,
      met: awsScale.spread.ordersPerSecond >= TARGET_SPREAD_ORDERS_PER_SECOND,
    });
    checks.push({
      name: 'AWS scale, one hot product',
      goal: `≥ ${TARGET_HOT_PRODUCT_ORDERS_PER_SECOND} orders/s with every order naming one product`,
      reached: `${Math.round(awsScale.hotProduct.ordersPerSecond).toLocaleString('en')} orders/s, bound by ${awsScale.hotProduct.boundBy}`,
      met: awsScale.hotProduct.ordersPerSecond >= TARGET_HOT_PRODUCT_ORDERS_PER_SECOND,
    });
  }
  const low = at(THROUGHPUT_RATES.low);
  const long = (step: StepWithCost | undefined) => step !== undefined && step.sendSeconds >= SUSTAINED_SECONDS * 0.99;
  const steady = steps.filter((step) => step.kind === 'steady');
  const peak = [...steady].sort((a, b) => b.finalPerSecond - a.finalPerSecond)[0];
  const above = peak ? steady.filter((step) => (step.targetRate ?? 0) > (peak.targetRate ?? 0)) : [];
  const cores = cpus().length;
  // What held the highest rate back: the CPU it cost an order against the machine's cores, and the busiest function.
  // The emulators' call whose answer time grew most from the lightest steady step to this one.
  const slowedMost = (step: StepWithCost) => {
    const lightest = steady[0];
    if (!lightest || lightest === step) return '';
    const grown = Object.entries(step.callLatencyMs)
      .map(([call, latency]) => ({ call, from: lightest.callLatencyMs[call]?.p50 ?? 0, to: latency.p50 }))
      .filter((entry) => entry.from > 0)
      .sort((a, b) => b.to / b.from - a.to / a.from)[0];
    return grown ? `; ${grown.call} answered in ${grown.from} ms (p50) at ${lightest.targetRate}/s and ${grown.to} ms here` : '';
  };
  const boundAt = (step: StepWithCost) => {
    const busiest = Object.entries(step.lambda).sort((a, b) => b[1].busy - a[1].busy)[0];
    const allow = step.cpuMsPerOrder.total > 0 ? Math.round((cores * 1000) / step.cpuMsPerOrder.total) : undefined;
    return `at ${step.targetRate}/s an accepted order cost ${step.cpuMsPerOrder.total} ms of CPU in all${allow ? `, which ${cores} cores allow ${allow} times a second` : ''}${busiest ? `; busiest ${busiest[0]} (${Math.round(100 * busiest[1].busy)} % of ${busiest[1].environments})` : ''}`;
  };
  checks.push({
    name: 'Throughput and latency',
    goal: `${THROUGHPUT_RATES.low}/s for ${SUSTAINED_SECONDS} s: final/s ≥ 95 % of offered, p99 POST→final ≤ ${P99_TARGET_MS / 1000} s; ${THROUGHPUT_RATES.high}/s: ≥ 90 final/s and ≥ 80 % of the emulator ceiling; above capacity, final/s ≥ 90 % of the peak`,
    reached: [
      low ? `${low.targetRate}/s: ${low.finalPerSecond} final/s, p99 ${low.postToFinalMs.p99} ms over ${low.sendSeconds} s` : `no ${THROUGHPUT_RATES.low}/s step`,
      high ? `${high.targetRate}/s: ${high.finalPerSecond} final/s${high.ceiling ? ` (${Math.round((100 * high.finalPerSecond) / high.ceiling.combinedOrdersPerSecond)} % of ${high.ceiling.combinedOrdersPerSecond}/s)` : ''} over ${high.sendSeconds} s` : `no ${THROUGHPUT_RATES.high}/s step`,
      ...(peak && above.length
        ? [`above the peak (${peak.finalPerSecond} final/s at ${peak.targetRate}/s): ${above.map((step) => `${step.finalPerSecond} at ${step.targetRate}/s (${Math.round((100 * step.finalPerSecond) / peak.finalPerSecond)} %)`).join(', ')}`]
        : []),
      ...(high && high.finalPerSecond < 0.9 * THROUGHPUT_RATES.high ? [`bound: ${boundAt(high)}`] : []),
    ].join('; '),
    met:
      long(low) && long(high) && low && high
        ? low.finalPerSecond >= 0.95 * THROUGHPUT_RATES.low &&
          low.postToFinalMs.p99 <= P99_TARGET_MS &&
          low.orders.stillOpen === 0 &&
          high.finalPerSecond >= 0.9 * THROUGHPUT_RATES.high &&
          (!high.ceiling || high.finalPerSecond >= 0.8 * high.ceiling.combinedOrdersPerSecond) &&
          above.every((step) => step.finalPerSecond >= 0.9 * (peak?.finalPerSecond ?? 0))
        : null,
  });
  if (low) {
    const busiest = Object.entries(low.lambda).sort((a, b) => b[1].busy - a[1].busy)[0];
    checks.push({
      name: 'No serial stage',
      goal: `no function's execution environments more than ${BUSY_TARGET * 100} % busy at ${THROUGHPUT_RATES.low}/s`,
      reached: busiest ? `busiest ${busiest[0]}: ${Math.round(100 * busiest[1].busy)} % of ${busiest[1].environments}${busiest[1].busy > BUSY_TARGET ? `; bound: ${boundAt(low)}${slowedMost(low)}` : ''}` : 'no invocations counted',
      met: long(low) && busiest ? busiest[1].busy <= BUSY_TARGET : null,
    });
  }
  if (cost) {
    // What every order pays once whatever the batching (docs/flow.md): its API request, its write,
    // its announcement and its shipping transaction. A design that keeps them costs at least this.
    const once = (line: { service: string; item: string }) =>
      line.service === 'API Gateway' || ['DynamoDB.PutItem', 'DynamoDB.TransactWriteItems', 'SNS.PublishBatch'].includes(line.item);
    const fixed = cost.ours.lines.filter(once).reduce((total, line) => total + line.dollarsPerMillionOrders, 0);
    const batched = steps.find((step) => step.kind === 'burst');
    checks.push({
      name: 'Cost per order',
      goal: `≤ US$ ${COST_TARGET.toFixed(2)} per million orders, shipping transaction kept`,
      reached: `US$ ${cost.ours.dollarsPerMillionOrders.toFixed(2)} (the original design's model: ${cost.original.dollarsPerMillionOrders.toFixed(2)}) per million orders (${cost.step}); bound: the API request, the order's write, its announcement and the shipping transaction cost US$ ${fixed.toFixed(2)} of it, one each an order${batched ? `; ${batched.cost.dollarsPerMillionOrders.toFixed(2)} with 25 orders a request (${batched.label})` : ''}`,
      met: cost.ours.dollarsPerMillionOrders <= COST_TARGET,
    });
  }
  return checks;
}

/** CPU seconds of this process, its reaped children and its live descendants (the stack, the probes, DynamoDB Local). */
function ownCpuSeconds(): number {
  return cpuSeconds('/proc/self/stat', true) + descendants(process.pid).reduce((total, pid) => total + cpuSeconds(`/proc/${pid}/stat`), 0);
}

async function main(): Promise<void> {
  const options = settings(process.argv.slice(2));
  const started = new Date();
  const loadAverageAtStart = loadavg();
  // Other work on the machine skews every figure here: keep a record of how busy it was, and of how
  // much of that was this run's own processes. The load average counts threads running or waiting
  // for a core, this run's own included, so the CPU time of everything else comes from /proc/stat.
  const loadSamples: number[] = [];
  const ownSamples: number[] = [];
  const otherSamples: number[] = [];
  const stealSamples: number[] = [];
  let last = { at: performance.now(), own: ownCpuSeconds(), machine: machineCpuSeconds() };
  const sampler = setInterval(() => {
    const now = { at: performance.now(), own: ownCpuSeconds(), machine: machineCpuSeconds() };
    const seconds = (now.at - last.at) / 1000;
    const own = (now.own - last.own) / seconds;
    loadSamples.push(loadavg()[0] ?? 0);
    ownSamples.push(own);
    otherSamples.push(Math.max(0, (now.machine.busy - last.machine.busy) / seconds - own));
    stealSamples.push((now.machine.steal - last.machine.steal) / seconds);
    last = now;
  }, 5000);
  sampler.unref();
  const phases = (options.coldStart ? 1 : 0) + (options.load ? 7 + options.rates.length + (options.burst > 0 ? 1 : 0) : 0) + (options.jvm ? 6 * options.jvm.rounds : 0);
  const progress = new Progress(phases);
  const notes: string[] = [];
  const facts = templateFacts();

  let cold: ColdStartResult | undefined;
  if (options.coldStart) cold = await measureColdStart(ROOT, options.rounds, progress);

  const steps: StepWithCost[] = [];
  let capacity: EmulatorCapacity | undefined;
  const capacityRuns: EmulatorCapacity[] = [];
  let memory: BenchResults['memory'];
  let configuration: BenchResults['configuration'];
  let tableIds: Record<string, string> = {};
  if (options.load) {
    // What users run, with nothing of the benchmark inside: the idle figure the memory target is about.
    progress.phase('Memory of npm start as users run it (no instrument), idle once ready');
    const plain = await launchStack(ROOT, { instrument: false });
    let plainIdle: MemorySnapshot;
    try {
      plainIdle = await idleMemory(plain);
    } finally {
      await plain.stop();
    }
    progress.phase('Starting the local stack: npm start with the instrument (emulators, bundles, workers)');
    const stack = await launchStack(ROOT);
    const stopStack = () => void stack.stop().finally(() => process.exit(130));
    process.once('SIGINT', stopStack);
    process.once('SIGTERM', stopStack);
    const sampler = memorySampler(stack);
    tableIds = Object.fromEntries(Object.entries(stack.ready.tables).map(([logicalId, name]) => [name, logicalId]));
    try {
      // Start-up traffic (provisioning, warming) is not part of any measurement.
      configuration = configurationCheck((await stack.drain()).configuration, stack.ready.startScript);
      progress.phase('Memory of the instrumented stack, idle once ready');
      const idleInstrumented = await idleMemory(stack);
      const capacityBefore = await measureEmulatorCapacity(stack.ready, options.capacitySeconds, progress, 'bench-capacity-before');
      capacityRuns.push(capacityBefore);
      capacity = capacityBefore;
      progress.phase('Seeding accounts and stock');
      const target = targetOf(stack.ready);
      await seed(target);
      // Every function warm and the JIT of every process past its first requests, as after a
      // while in service; the steps measure a running system, not its first seconds.
      await steadyLoad(target, 20, options.quick ? 3 : 6, options.drainCapSeconds, orderFactory(1), progress, 'Warm-up (not measured)');
      await stack.drain();
      memory = { idleAfterStart: plainIdle, idleInstrumented, idleAfterWarmUp: await idleMemory(stack) };
      sampler.peak();
      const nextOrder = orderFactory(20261124);
      let saturated = false;
      const measureStep = async (run: () => Promise<StepResult>) => {
        const cpuBefore = markCpu(stack);
        const step = await run();
        const cpuAfter = markCpu(stack);
        const drained = await stack.drain();
        if (configuration) configuration.observed.environments = drained.configuration.environments;
        steps.push(withCost(step, drained, facts.functionIds, facts.configs, capacity, cpuBetween(cpuBefore, cpuAfter, step.orders.accepted), sampler.peak()));
        if (drained.logs.errors.length > 0) notes.push(`${step.label}: ${drained.logs.errors.length} error lines from the functions, first: ${drained.logs.errors[0]}`);
        return step;
      };
      for (const [index, rate] of options.rates.entries()) {
        // The target rates always run; above them, a saturated stack would only pile up more.
        if (saturated && rate > THROUGHPUT_RATES.high) {
          notes.push(`${rate} orders/s was not run: a lower rate already saturated the stack.`);
          progress.phase(`Steady load: ${rate} orders/s skipped (saturated)`);
          continue;
        }
        const step = await measureStep(() => steadyLoad(target, rate, options.secondsFor(rate, index), options.drainCapSeconds, nextOrder, progress));
        // Well below the offered rate, or orders left open: higher rates would only pile up more.
        if (step.finalPerSecond < 0.8 * rate || step.orders.stillOpen > 0) saturated = true;
      }
      if (options.burst > 0) await measureStep(() => burstLoad(target, options.burst, options.drainCapSeconds, nextOrder, progress));
      // Measured again once the stack is idle; the ceilings use the better figure of each call.
      const capacityAfter = await measureEmulatorCapacity(stack.ready, options.capacitySeconds, progress, 'bench-capacity-after');
      capacityRuns.push(capacityAfter);
      capacity = bestOf(capacityBefore, capacityAfter);
      for (const step of steps) step.ceiling = emulatorCeiling(capacity, step.callsPerOrder);
    } finally {
      sampler.stop();
      process.off('SIGINT', stopStack);
      process.off('SIGTERM', stopStack);
      await stack.stop();
    }
  }
  let jvm: BenchResults['jvm'];
  if (options.jvm) jvm = await compareJvmOptions(ROOT, options.jvm, progress, ownCpuSeconds);
  progress.stop();
  clearInterval(sampler);

  // The headline: the 100 orders/s step (batches as they are at the target's rate), else the busiest steady step.
  const steady = steps.filter((step) => step.kind === 'steady' && step.orders.accepted > 0);
  const headline = steady.find((step) => step.targetRate === THROUGHPUT_RATES.high) ?? steady[steady.length - 1];
  let cost: BenchResults['cost'];
  let awsScale: BenchResults['awsScale'];
  if (headline) {
    const original = originalDesignCost(headline.productsPerOrder, callLatencies(headline.requests));
    const step = headline.label.split(' (')[0] ?? headline.label;
    cost = { step, ours: headline.cost, original: { ...original, dollarsPerMillionOrdersOldDynamoPrices: repriceDynamo(original, PRICES, PRICES_BEFORE_2024_11) } };
    // Table names as the stack made them -> logical ids; an index keeps its name.
    const logicalName = (target: string) => target.replace(/^[^/]+/, (table) => tableIds[table] ?? table);
    awsScale = awsScaleModel(step, headline.counted, headline.keys, headline.orders.accepted, { logicalName, functionIds: facts.functionIds, caps: facts.caps });
    notes.push(
      `Logs: the functions wrote ${headline.logBytesPerOrder} bytes per order (Powertools JSON at INFO), which CloudWatch Logs would ingest at US$ 0.50 per GB: US$ ${((headline.logBytesPerOrder / 1e9) * 0.5 * 1e6).toFixed(2)} per million orders, not in the comparison (the original's logging is not modelled).`,
      `The queue pollers made ${headline.cost.emptyReceivesPerOrder.toFixed(2)} empty receives per order (fauxqs answers waiting long polls when another poller takes the message); on AWS an event source mapping's empty polls are a per-queue idle cost, so they are not priced per order.`,
    );
  }
  notes.push(
    "DynamoDB capacity is DynamoDB Local's own ConsumedCapacity (ReturnConsumedCapacity INDEXES on every call), except that a write transaction's items are billed at least 2 WRU each: DynamoDB Local reports one item's units per table in a transaction (2 for two products, where AWS bills 4).",
    'Lambda durations are those measured here (emulators, a shared 2-core machine, warm workers with a compile cache): higher than on AWS, so the Lambda duration lines, and the concurrency the AWS-scale model derives from them, overstate both designs.',
    'Throughput and latency are of the local runtime on this machine: emulators, functions, pollers and the load generator share its two cores.',
  );

  const ownCores = round(median(ownSamples), 2);
  const partial: Omit<BenchResults, 'targets'> = {
    date: started.toISOString(),
    revision: revision(),
    quick: options.quick,
    options: { rates: options.rates, burst: options.burst, rounds: options.rounds },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      loadAverageAtStart,
      loadAverageDuringRun: { median: round(percentile(loadSamples, 50), 2), max: round(Math.max(0, ...loadSamples), 2) },
      ownCoresDuringRun: { median: ownCores, max: round(Math.max(0, ...ownSamples), 2) },
      otherCoresDuringRun: { median: round(median(otherSamples), 2), max: round(Math.max(0, ...otherSamples), 2) },
      stealCoresDuringRun: round(median(stealSamples), 2),
    },
    prices: PRICES.source,
    ...(configuration ? { configuration } : {}),
    ...(memory ? { memory } : {}),
    ...(cold ? { coldStart: cold } : {}),
    ...(capacity ? { capacity, capacityRuns } : {}),
    steps,
    ...(cost ? { cost } : {}),
    ...(awsScale ? { awsScale } : {}),
    ...(jvm ? { jvm } : {}),
    notes,
  };
  const results: BenchResults = { ...partial, targets: targets(partial) };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = `${started.toISOString().slice(0, 10)}${options.quick ? '-quick' : ''}${options.custom ? '-custom' : ''}${options.jvm ? '-jvm' : ''}`;
  const markdown = toMarkdown(results);
  const left = new Set(['latencySamples', 'durationSamplesMs', 'keys', 'counted']);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, (key, value: unknown) => (left.has(key) ? undefined : value), 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown);
  process.stdout.write(`${markdown}\nWritten to bench/results/${name}.json and .md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
