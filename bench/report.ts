// The results of a run as one JSON document, and the markdown summary written beside it and
// printed at the end of `npm run bench`.
import type { Tally } from './awsRequests';
import { MODEL_RATE, PARTITION_WRITE_UNITS_PER_SECOND, type AwsScaleModel } from './awsScale';
import type { Ceiling, EmulatorCapacity } from './capacity';
import type { ColdStartResult } from './coldStart';
import type { CostLine, DesignCost } from './cost';
import type { CpuMsPerOrder } from './cpu';
import type { JvmComparison } from './jvm';
import { MAX_IN_FLIGHT, type StepResult } from './load';
import type { InvocationTally, StackConfiguration } from './observed';
import type { PartitionTally } from './partitions';
import { median } from './stats';

export interface TargetCheck {
  name: string;
  goal: string;
  reached: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

/** Resident memory (RSS) by process role, and of all of npm start's processes at one moment. */
export interface MemorySnapshot {
  byRole: Record<string, number>;
  totalMb: number;
}

export interface StepWithCost extends StepResult {
  cost: DesignCost & { emptyReceivesPerOrder: number };
  /** CloudWatch Logs would ingest this much per order (the functions' own lines). */
  logBytesPerOrder: number;
  callsPerOrder: Record<string, number>;
  ceiling?: Ceiling;
  /** busy: the share of the time from the first order to the last final state that the function's execution environments were running it. */
  lambda: Record<string, { invocations: number; p50Ms: number; p99Ms: number; coldStarts: number; environments: number; busy: number }>;
  /** Everything counted, by caller and call (latency samples are left out of the JSON). */
  requests: Tally;
  /** What the AWS-scale model reads (left out of the JSON). */
  counted: { partitions: PartitionTally; invocations: InvocationTally };
  /** CPU milliseconds per accepted order on this machine, by who spent them (what 2 cores allow is 2000 / total orders a second). */
  cpuMsPerOrder: CpuMsPerOrder;
  /** How long each call took as the functions and pollers saw it (the emulators' answer times under this load). */
  callLatencyMs: Record<string, { p50: number; p99: number; requests: number }>;
  /** The highest RSS of each of npm start's processes during the step, and of all of them at once. */
  peakMemory: MemorySnapshot;
}

export interface BenchResults {
  date: string;
  revision: { commit: string; uncommittedChanges: boolean };
  quick: boolean;
  options: { rates: number[]; burst: number; rounds: number };
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    loadAverageAtStart: number[];
    loadAverageDuringRun: { median: number; max: number };
    /** Cores this run's own processes kept busy (the benchmark, the stack, DynamoDB Local, the probes), sampled with the load average. */
    ownCoresDuringRun: { median: number; max: number };
    /** Cores every other process on the machine kept busy (/proc/stat less this run's own). */
    otherCoresDuringRun: { median: number; max: number };
    /** Cores' worth of time the hypervisor gave to other guests (/proc/stat's steal). */
    stealCoresDuringRun: number;
  };
  prices: string;
  /** How the measured stack ran, and whether that is `npm start`'s configuration. */
  configuration?: { startScript: string; expectedStackFlags: string[]; observed: StackConfiguration; matchesNpmStart: boolean };
  /** Idle once ready: npm start alone (what users run), and the instrumented stack; again after the warm-up's orders. */
  memory?: { idleAfterStart: MemorySnapshot; idleInstrumented: MemorySnapshot; idleAfterWarmUp: MemorySnapshot };
  coldStart?: ColdStartResult;
  /** The better of the two measurements, call by call; capacityRuns holds both. */
  capacity?: EmulatorCapacity;
  capacityRuns?: EmulatorCapacity[];
  steps: StepWithCost[];
  cost?: { step: string; ours: DesignCost; original: DesignCost };
  awsScale?: AwsScaleModel;
  /** Part 5: DynamoDB Local's JVM options compared (--jvm-compare). */
  jvm?: JvmComparison;
  targets: TargetCheck[];
  notes: string[];
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const table = (header: string[], rows: (string | number)[][]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
const IDLE_NOTE = 'once ready (every function warmed by the stack itself): first of a separate `npm start` with nothing of the benchmark in it, the figure the target is about, then of the instrumented one (the instrument’s own share); and again after the warm-up’s orders and 5 s of quiet';
const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

const withoutDuration = (cost: DesignCost) => cost.lines.filter((line) => !(line.service === 'Lambda' && line.item === 'duration')).reduce((total, line) => total + line.dollarsPerMillionOrders, 0);

function costLines(lines: CostLine[]): string {
  return table(
    ['Service', 'Call', 'Made by', 'Requests / order', 'Units / order', 'US$ / 1M orders'],
    lines.map((line) => [
      line.service,
      line.item,
      line.by.join(', '),
      fixed(line.requestsPerOrder, 3),
      line.unitsPerOrder === undefined ? '' : `${fixed(line.unitsPerOrder, line.unitName === 'GB-s' ? 4 : 3)} ${line.unitName ?? ''}${line.indexUnitsPerOrder ? ` (${fixed(line.indexUnitsPerOrder, 3)} on the index)` : ''}`,
      fixed(line.dollarsPerMillionOrders, 3),
    ]),
  );
}

const memoryTable = (columns: string[], snapshots: MemorySnapshot[]) => {
  const roles = [...new Set(snapshots.flatMap((snapshot) => Object.keys(snapshot.byRole)))].sort();
  return table(
    ['Process', ...columns],
    [...roles.map((role) => [role, ...snapshots.map((snapshot) => (snapshot.byRole[role] === undefined ? '' : String(snapshot.byRole[role])))]), ['**all at once**', ...snapshots.map((snapshot) => `**${snapshot.totalMb}**`)]],
  );
};

const CPU_NOTE =
  "CPU per accepted order on this machine (ms), from the step's first order to its last final state, by thread as /proc counts it; two cores give 2000 ms a second. The runtime is one Node process: its main thread runs the API gateway, the SQS pollers, the scheduler and fauxqs; each function's execution environment is a worker thread of it (the instrument names them); its other threads are Node's own (V8's GC and compilers, libuv's pool), working for both. DynamoDB Local is a JVM of its own.";

/** The CPU an order cost, by who spent it, one row a step. */
export function cpuTable(rows: [string, CpuMsPerOrder][]): string {
  return table(
    ['Load', 'Runtime main thread (gateway, pollers, fauxqs)', 'Functions (execution environments)', 'Runtime’s other threads (GC, JIT, libuv)', 'DynamoDB Local (JVM)', 'Load generator', 'Total', 'Orders/s two cores allow at that cost'],
    rows.map(([label, cpu]) => [
      label,
      fixed(cpu.runtimeMainThread, 1),
      fixed(cpu.functions, 1),
      fixed(cpu.runtimeOther, 1),
      fixed(cpu.dynamoDbLocal, 1),
      fixed(cpu.loadGenerator, 1),
      fixed(cpu.total, 1),
      cpu.total > 0 ? fixed(2000 / cpu.total, 0) : '',
    ]),
  );
}

function jvmSection(jvm: JvmComparison): string {
  const out: string[] = ['\n## 5. DynamoDB Local’s JVM options\n'];
  const [first, second] = jvm.summaries;
  out.push(
    `Each configuration in fresh stacks (\`npm start\` with the instrument, LOCAL_SAM_DYNAMODB_JVM_OPTIONS after the runtime's defaults), ${jvm.runs.length / Math.max(1, jvm.summaries.length)} each, alternating; each seeded, warmed up at ${jvm.warmUp.rate} orders/s for ${jvm.warmUp.seconds} s, then held at ${jvm.rate} orders/s for ${jvm.seconds} s. Start: from spawning npm start to its state file (the JVM starts while the functions are bundled). Medians over the stacks (of two, the lower); the ratio is the second over the first, both from this run.\n`,
  );
  if (first && second) {
    out.push(
      table(
        ['', `${first.label} (${first.options.join(' ')})`, `${second.label} (${second.options.join(' ')})`, 'Ratio'],
        [
          ['Start, s', fixed(first.startSeconds, 1), fixed(second.startSeconds, 1), fixed(jvm.ratios.startSeconds)],
          ['DynamoDB Local’s CPU by then, s', fixed(first.dynamoDbLocalStartCpuSeconds, 1), fixed(second.dynamoDbLocalStartCpuSeconds, 1), fixed(jvm.ratios.dynamoDbLocalStartCpuSeconds)],
          [`Final orders/s at ${jvm.rate}/s`, fixed(first.finalPerSecond, 1), fixed(second.finalPerSecond, 1), fixed(jvm.ratios.finalPerSecond)],
          ['POST→final p99, ms', String(first.p99Ms), String(second.p99Ms), fixed(jvm.ratios.p99Ms)],
          ['DynamoDB Local’s CPU per order, ms', fixed(first.dynamoDbLocalCpuMsPerOrder, 1), fixed(second.dynamoDbLocalCpuMsPerOrder, 1), fixed(jvm.ratios.dynamoDbLocalCpuMsPerOrder)],
          ['All CPU per order, ms', fixed(first.totalCpuMsPerOrder, 1), fixed(second.totalCpuMsPerOrder, 1), fixed(jvm.ratios.totalCpuMsPerOrder)],
          ['DynamoDB Local’s peak RSS during the step, MB', fixed(first.dynamoDbLocalPeakRssMb, 0), fixed(second.dynamoDbLocalPeakRssMb, 0), fixed(jvm.ratios.dynamoDbLocalPeakRssMb)],
        ],
      ),
    );
  }
  out.push('\nEach stack, in the order run, with the load other processes put on the machine during its step:\n');
  out.push(
    table(
      ['Configuration', 'Round', 'Start s', 'DynamoDB Local CPU at start s', 'Accepted / s', 'Final / s', 'p99 ms', 'Still open', 'DynamoDB Local RSS MB, after the warm-up / peak', 'Other processes, cores', 'Steal, cores'],
      jvm.runs.map((run) => [
        run.label,
        run.round + 1,
        fixed(run.startSeconds, 1),
        fixed(run.dynamoDbLocalStartCpuSeconds, 2),
        fixed(run.acceptedPerSecond, 1),
        fixed(run.finalPerSecond, 1),
        run.p99Ms,
        run.stillOpen,
        `${run.dynamoDbLocalRssMb.afterWarmUp} / ${run.dynamoDbLocalRssMb.peak}`,
        fixed(run.machine.otherCores),
        fixed(run.machine.stealCores),
      ]),
    ),
  );
  out.push('\nCPU per accepted order in each of those steps (ms):\n');
  out.push(cpuTable(jvm.runs.map((run) => [`${run.label}, round ${run.round + 1}`, run.cpuMsPerOrder])));
  return out.join('\n');
}

export function toMarkdown(results: BenchResults): string {
  const out: string[] = [];
  const { machine } = results;
  out.push(`# Benchmark ${results.date.slice(0, 10)}${results.quick ? ' (quick run)' : ''}`);
  out.push(
    `Commit ${results.revision.commit}${results.revision.uncommittedChanges ? ' with uncommitted changes to src/, the template or the contract' : ''}; ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}. Load average ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' / ')} at the start; 1-minute load ${machine.loadAverageDuringRun.median} (median) to ${machine.loadAverageDuringRun.max} (max) during the run, counting threads that ran or waited for a core, this run's own included. This run's processes (the benchmark, the stack, DynamoDB Local, the probes) kept ${machine.ownCoresDuringRun.median} cores busy (median; ${machine.ownCoresDuringRun.max} at most), every other process on the machine ${machine.otherCoresDuringRun.median} (median; ${machine.otherCoresDuringRun.max} at most), and the hypervisor took ${machine.stealCoresDuringRun} cores' worth for other guests (steal): a load above ${machine.cpus} with little else running is this run's own threads queueing for the ${machine.cpus} cores; the figures that compare two things do so within this run. Prices: ${results.prices}.`,
  );

  out.push('\n## Targets\n');
  out.push(table(['Target', 'Goal', 'Reached', ''], results.targets.map((target) => [target.name, target.goal, target.reached, mark(target.met)])));

  const configuration = results.configuration;
  if (configuration) {
    const { observed } = configuration;
    const workers = new Map<string, string[]>();
    for (const [name, worker] of Object.entries(observed.workers)) {
      const key = `flags ${JSON.stringify(worker.execArgv)}, NODE_OPTIONS ${JSON.stringify(worker.nodeOptions)}`;
      workers.set(key, [...(workers.get(key) ?? []), name]);
    }
    out.push('\n## How the measured stack ran\n');
    out.push(
      `\`npm start\` itself (package.json: \`${configuration.startScript}\`), started by this run with the instrument preloaded through NODE_OPTIONS (it only observes, and is left out below). The stack's process: Node ${observed.node}, flags ${JSON.stringify(observed.stack.execArgv)}, NODE_OPTIONS ${JSON.stringify(observed.stack.nodeOptions)}, script ${observed.stack.script}, arguments \`${observed.stack.args.join(' ')}\`; the start script's flags: ${JSON.stringify(configuration.expectedStackFlags)}. Lambda workers, as each saw itself: ${[...workers].map(([key, names]) => `${key} (${names.length} functions)`).join('; ') || 'none reported'}. **${configuration.matchesNpmStart ? 'This is npm start’s configuration.' : 'This is not npm start’s configuration.'}**`,
    );
  }

  if (results.memory) {
    const steps = results.steps;
    out.push('\n## Memory (RSS, MB)\n');
    out.push(
      `Every process \`npm start\` runs, npm's own included: npm's process and everything below it in /proc (by parent), each one's VmRSS. Idle: the highest of three samples a second apart, ${IDLE_NOTE}. Under load: each process's highest sample (one a second) during the step, and the highest sum of all at one moment.\n`,
    );
    out.push(
      memoryTable(
        ['Idle once ready: npm start alone', 'Idle once ready: instrumented', 'Idle after the warm-up', ...steps.map((step) => `peak, ${step.label.split(' (')[0] ?? step.label}`)],
        [results.memory.idleAfterStart, results.memory.idleInstrumented, results.memory.idleAfterWarmUp, ...steps.map((step) => step.peakMemory)],
      ),
    );
    const environments = Object.values(results.configuration?.observed.environments ?? {}).reduce((total, count) => total + count, 0);
    if (environments > 0) out.push(`\nExecution environments (worker threads) started by the end of the run: ${environments}; the local runtime, like Lambda, keeps those it started.`);
  }

  const cold = results.coldStart;
  if (cold) {
    const other = cold.production.sdk === 'bundled' ? 'SDK external (the runtime’s)' : 'SDK bundled (tree-shaken)';
    const maps = cold.production.sourceMaps ? 'no source maps' : 'source maps on';
    out.push(`\n## 1. Cold start\n`);
    out.push(
      `Production bundles built by esbuild from each function's Metadata.BuildProperties: the AWS SDK ${cold.production.sdk === 'bundled' ? 'bundled from its ES modules (tree-shaken)' : 'left to the Lambda runtime'}, source maps ${cold.production.sourceMaps ? 'shipped and enabled by NODE_OPTIONS' : 'neither shipped nor enabled'}. Module init = median of ${cold.rounds} fresh Node ${cold.node} processes requiring the bundle with the function's environment (placeholders for resources, the template's NODE_OPTIONS), all variants interleaved. SDK clients alone = the clients its src/adapters/clients modules build and the commands and errors its own code imports, nothing else, packaged the same way: the floor of its init. Zipped = the bundle's folder as \`sam deploy\` uploads it. First request = an API request refused by validation (no AWS call), which compiles that route's validator.\n`,
    );
    out.push(
      table(
        ['Function', 'Zipped KB (JS KB)', 'Init ms', 'SDK clients alone ms', 'Ratio', 'First request ms', `${other}: init ms, zipped KB`, `${maps}: init ms, zipped KB`],
        cold.functions.map((fn) => [
          fn.logicalId,
          `${fixed(fn.production.zippedKb, 1)} (${fixed(fn.production.jsKb, 1)})`,
          fixed(fn.init.production.medianMs, 1),
          fixed(fn.init.clientsFloor.medianMs, 1),
          fixed(fn.ratio, 2),
          fn.init.production.firstRequestMs === undefined ? '' : fixed(fn.init.production.firstRequestMs, 1),
          `${fixed(fn.init.otherSdk.medianMs, 1)}, ${fixed(fn.otherSdk.zippedKb, 0)}`,
          `${fixed(fn.init.otherSourceMaps.medianMs, 1)}, ${fixed(fn.otherSourceMaps.zippedKb, 0)}`,
        ]),
      ),
    );
    const difference = (variant: 'otherSdk' | 'otherSourceMaps') => median(cold.functions.map((fn) => fn.init[variant].medianMs - fn.init.production.medianMs));
    const ratio = (variant: 'otherSdk' | 'otherSourceMaps') => median(cold.functions.map((fn) => fn.init[variant].medianMs / fn.init.production.medianMs));
    out.push(
      `\nThe two build decisions, against their alternatives in this run (median over the functions): ${other} would change init by ${fixed(difference('otherSdk'), 1)} ms (${fixed(100 * (ratio('otherSdk') - 1), 0)} %); ${maps} by ${fixed(difference('otherSourceMaps'), 1)} ms (${fixed(100 * (ratio('otherSourceMaps') - 1), 0)} %). A positive figure means the template's choice is the faster one.`,
    );
    const bounded = cold.functions.filter((fn) => fn.bounds);
    if (bounded.length > 0) {
      out.push('\nWhat bounds the misses (one breakdown run each): bytes in the bundle by package; init time by package (exclusive load time: resolve, read, compile, run); CPU time inside the bundle by bundled package (`--cpu-prof`, mapped through a source map of the same code).\n');
      out.push(
        table(
          ['Function', 'Bundle bytes by package (KB)', 'Init by package (ms)', 'CPU inside the bundle (ms)'],
          bounded.map((fn) => [
            fn.logicalId,
            fn.production.topPackages.map((entry) => `${entry.name} ${fixed(entry.kb, 1)}`).join(', '),
            (fn.bounds?.loadByPackage ?? []).map((entry) => `${entry.name} ${fixed(entry.ms, 1)}`).join(', '),
            (fn.bounds?.insideBundle ?? []).map((entry) => `${entry.name} ${fixed(entry.ms, 1)}`).join(', '),
          ]),
        ),
      );
    }
  }

  if (results.cost) {
    const { ours, original, step } = results.cost;
    out.push(`\n## 2. Cost per order\n`);
    out.push(`This design as counted during the ${step} step (every AWS request the functions and the queue pollers sent, as node:http carried it); the original design modelled from its flow (see bench/cost.ts), with this run's products per order and call latencies.\n`);
    out.push(
      table(
        ['', 'This design (measured)', 'Original design (modelled)'],
        [
          ['AWS requests per order (API Gateway + Lambda invocations + SDK calls)', fixed(ours.requestsPerOrder, 2), fixed(original.requestsPerOrder, 2)],
          ['Lambda invocations per order', fixed(ours.lambdaInvocationsPerOrder, 3), fixed(original.lambdaInvocationsPerOrder, 3)],
          ['**US$ per million orders**', `**${fixed(ours.dollarsPerMillionOrders, 2)}**`, `**${fixed(original.dollarsPerMillionOrders, 2)}**`],
          ['US$ per million orders, DynamoDB at its pre-2024-11 price', fixed(ours.dollarsPerMillionOrdersOldDynamoPrices, 2), fixed(original.dollarsPerMillionOrdersOldDynamoPrices, 2)],
          ['US$ per million orders without Lambda duration (the line the local emulators distort most)', fixed(withoutDuration(ours), 2), fixed(withoutDuration(original), 2)],
        ],
      ),
    );
    out.push(`\nThis design, by call:\n`);
    out.push(costLines(ours.lines));
    out.push(`\nOriginal design, by call:\n`);
    out.push(costLines(original.lines));
    for (const note of [...ours.notes, ...original.notes]) out.push(`\n- ${note}`);
  }

  if (results.steps.length > 0) {
    out.push(`\n## 3. Throughput and latency (local stack)\n`);
    out.push(
      `The local stack as \`npm start\` runs it; accounts and stock seeded so that every order ships; 1–3 products an order; a warm-up of 20 orders/s first, not measured. A steady step's final / s counts orders that became final inside its sending window after its first seconds.\n`,
    );
    out.push(
      table(
        ['Load', 'Orders offered', 'Accepted / s', 'Final / s', 'Backlog at end', 'Drain s', 'POST→final p50 / p95 / p99 ms', 'API p50 / p99 ms', '% of emulator ceiling', 'US$ / 1M orders', 'Sender lag p99 ms'],
        results.steps.map((step) => [
          step.label,
          `${step.orders.sent}${Object.keys(step.orders.refused).length > 0 ? ` (not accepted: ${Object.entries(step.orders.refused).map(([reason, count]) => `${count} ${reason}`).join(', ')})` : ''}${step.orders.stillOpen > 0 ? `, ${step.orders.stillOpen} never final` : ''}`,
          fixed(step.acceptedPerSecond, 1),
          fixed(step.finalPerSecond, 1),
          step.backlogAtEnd,
          fixed(step.drainSeconds, 1),
          `${step.postToFinalMs.p50} / ${step.postToFinalMs.p95} / ${step.postToFinalMs.p99}`,
          `${step.apiMs.p50} / ${step.apiMs.p99}`,
          step.ceiling ? `${fixed((100 * step.finalPerSecond) / step.ceiling.combinedOrdersPerSecond, 0)} % of ${fixed(step.ceiling.combinedOrdersPerSecond, 0)}/s` : '',
          fixed(step.cost.dollarsPerMillionOrders, 2),
          step.senderLagMs.p99,
        ]),
      ),
    );
    if (results.steps.some((step) => step.orders.refused.shed)) {
      out.push(`\nShed: orders the sender did not send because ${MAX_IN_FLIGHT} requests were already waiting for an answer (a saturated API); an open-loop sender would otherwise measure its own queue.`);
    }
    out.push(`\n${CPU_NOTE}\n`);
    out.push(cpuTable(results.steps.map((step) => [step.label.split(' (')[0] ?? step.label, step.cpuMsPerOrder])));
    const functionNames = [...new Set(results.steps.flatMap((step) => Object.keys(step.lambda)))].sort();
    out.push(`\nLambda durations as the functions ran here (p50 / p99 ms, invocations; cold starts; how busy its execution environments were, over the step's time):\n`);
    out.push(
      table(
        ['Function', ...results.steps.map((step) => step.label.split(' (')[0] ?? step.label)],
        functionNames.map((name) => [
          name,
          ...results.steps.map((step) => {
            const stats = step.lambda[name];
            return stats ? `${fixed(stats.p50Ms, 0)} / ${fixed(stats.p99Ms, 0)} (${stats.invocations}${stats.coldStarts ? `; ${stats.coldStarts} cold` : ''}; ${fixed(100 * stats.busy, 0)} % of ${stats.environments} busy)` : '';
          }),
        ]),
      ),
    );
  }

  const latencyCalls = [...new Set(results.steps.flatMap((step) => Object.keys(step.callLatencyMs)))].sort();
  if (latencyCalls.length > 0) {
    out.push(`\nHow long the emulators took to answer each call under this load (p50 / p99 ms, as the functions and pollers saw it; a ReceiveMessage includes its long poll's wait for a message):\n`);
    out.push(
      table(
        ['Call', ...results.steps.map((step) => step.label.split(' (')[0] ?? step.label)],
        latencyCalls.map((call) => [call, ...results.steps.map((step) => (step.callLatencyMs[call] ? `${fixed(step.callLatencyMs[call].p50, 0)} / ${fixed(step.callLatencyMs[call].p99, 0)}` : ''))]),
      ),
    );
  }

  const scale = results.awsScale;
  if (scale) {
    const orders = (value: number | undefined) => (value === undefined ? 'grows with their number' : Number.isFinite(value) ? Math.round(value).toLocaleString('en') : 'unbounded');
    out.push(`\n## 4. The AWS-scale model\n`);
    out.push(
      `From what the ${scale.step} step counted (${scale.orders} orders): every DynamoDB write's units, by table or index and by the partition key value the request carries (the key schemas as the stack created them). DynamoDB serves ${PARTITION_WRITE_UNITS_PER_SECOND.toLocaleString('en')} WCU/s per partition, and one partition key value stays on one partition, so a table's busiest key bounds the orders/s. Keys are told apart by what they are: an order's own, a customer's or a product's (the step's orders name them), or shared by orders whatever they name. Spread: orders over many customers and products (a customer's or product's key then takes a vanishing share). Hot: every order names that one customer or product. Writes that name no partition (an index key REMOVEd, an item deleted) are spread like those that do. The busiest key of a short step also carries sampling noise (a few hundred orders over 32 shards leave one shard well above their mean), so the spread figure errs low.\n`,
    );
    out.push(
      table(
        ['Table / index', 'Partition key', 'Keyed by', 'Keys seen', 'WCU / order', 'Busiest key: WCU / order', 'WCU per order naming the key', 'Orders/s at 1,000 WCU/s: spread', 'Hot key'],
        scale.partitions.map((family) => [
          family.target,
          family.attribute,
          family.keyedBy,
          family.keys,
          fixed(family.unitsPerOrder, 3),
          `${fixed(family.busiest.unitsPerOrder, 4)} (${family.busiest.key.length > 24 ? `${family.busiest.key.slice(0, 21)}...` : family.busiest.key})`,
          family.unitsPerNamingOrder === undefined ? '' : fixed(family.unitsPerNamingOrder, 3),
          orders(family.spreadOrdersPerSecond),
          family.hotOrdersPerSecond === undefined ? '' : orders(family.hotOrdersPerSecond),
        ]),
      ),
    );
    out.push(`\nSpread: **${orders(scale.spread.ordersPerSecond)} orders/s**, bound by ${scale.spread.boundBy}. One hot product: **${orders(scale.hotProduct.ordersPerSecond)} orders/s**, bound by ${scale.hotProduct.boundBy}.`);
    out.push(
      `\nLambda: ${fixed(scale.lambda.invocationsPerOrder, 3)} invocations per order (batches as full as they were at this step's rate; fuller at higher rates), and by Little's law ${fixed(scale.lambda.concurrencyAtModelRate, 0)} concurrent executions at ${MODEL_RATE.toLocaleString('en')} orders/s with the durations measured here, which overstate AWS's (emulators on this shared machine): a lower bound on the headroom, not a forecast.\n`,
    );
    out.push(
      table(
        ['Function', 'Invocations / order', 'Duration mean / p99 ms (local)', `Concurrency at ${MODEL_RATE.toLocaleString('en')} orders/s`, 'Template cap → orders/s it allows'],
        scale.lambda.functions.map((fn) => [
          fn.logicalId,
          fixed(fn.invocationsPerOrder, 3),
          `${fixed(fn.meanMs, 1)} / ${fixed(fn.p99Ms, 1)}`,
          fixed(fn.concurrencyAtModelRate, 1),
          fn.cap ? `${fn.cap.concurrency} (${fn.cap.by}) → ${orders(fn.cap.ordersPerSecond)}` : 'none (the account’s concurrency)',
        ]),
      ),
    );
  }

  if (results.capacity) {
    out.push(`\nEmulators' raw capacity in the same run (${results.capacity.durationSeconds} s each after a warm-up, ${results.capacity.calls[0]?.concurrency ?? ''} concurrent requests, the same SDK; measured before the load and again after it, the better of the two):\n`);
    const runs = results.capacityRuns ?? [];
    out.push(
      table(
        ['Call', 'Requests / s (before / after the load)', 'Errors'],
        results.capacity.calls.map((call) => [call.call, `**${call.requestsPerSecond}** (${runs.map((run) => run.calls.find((entry) => entry.call === call.call)?.requestsPerSecond ?? '–').join(' / ')})`, call.errors]),
      ),
    );
    out.push(`\nDynamoDB Local running an order's calls (write with index entry, reads, three updates, read, shipping transaction), ${results.capacity.calls[0]?.concurrency ?? ''} orders at a time: **${results.capacity.dynamoOrdersPerSecond} orders/s** (${runs.map((run) => run.dynamoOrdersPerSecond).join(' / ')}). The ceiling in the load table adds fauxqs' share of each order to this.`);
  }

  if (results.jvm) out.push(jvmSection(results.jvm));

  if (results.notes.length > 0) {
    out.push('\n## Notes\n');
    for (const note of results.notes) out.push(`- ${note}`);
  }
  return `${out.join('\n')}\n`;
}
