// The results of a run as one JSON document, and the markdown summary written beside it and
// printed at the end of `npm run bench`.
import type { Tally } from './awsRequests';
import type { Ceiling, EmulatorCapacity } from './capacity';
import type { ColdStartResult } from './coldStart';
import type { CostLine, DesignCost } from './cost';
import { MAX_IN_FLIGHT, type StepResult } from './load';

export interface TargetCheck {
  name: string;
  goal: string;
  reached: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface StepWithCost extends StepResult {
  cost: DesignCost & { emptyReceivesPerOrder: number };
  /** CloudWatch Logs would ingest this much per order (the functions' own lines). */
  logBytesPerOrder: number;
  callsPerOrder: Record<string, number>;
  ceiling?: Ceiling;
  /** busy: the share of the time from the first order to the last final state that the function's slots were running it. */
  lambda: Record<string, { invocations: number; p50Ms: number; p99Ms: number; coldStarts: number; slots: number; busy: number }>;
  /** Everything counted, by caller and call (latency samples are left out of the JSON). */
  requests: Tally;
  /** CPU milliseconds per accepted order on this machine, by who spent them (what 2 cores allow is 2000 / total orders a second). */
  cpuMsPerOrder: { hostMainThread: number; lambdaWorkers: number; dynamoDbLocal: number; loadGenerator: number; total: number };
  /** How long each call took as the functions and pollers saw it (the emulators' answer times under this load). */
  callLatencyMs: Record<string, { p50: number; p99: number; requests: number }>;
}

export interface BenchResults {
  date: string;
  revision: { commit: string; uncommittedChanges: boolean };
  quick: boolean;
  options: { rates: number[]; burst: number; rounds: number; functionConcurrency?: number; pollerConcurrency?: number };
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; loadAverageAtStart: number[]; loadAverageDuringRun: { median: number; max: number } };
  prices: string;
  coldStart?: ColdStartResult;
  /** The better of the two measurements, call by call; capacityRuns holds both. */
  capacity?: EmulatorCapacity;
  capacityRuns?: EmulatorCapacity[];
  steps: StepWithCost[];
  cost?: { step: string; ours: DesignCost; original: DesignCost };
  targets: TargetCheck[];
  notes: string[];
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const table = (header: string[], rows: (string | number)[][]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
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

export function toMarkdown(results: BenchResults): string {
  const out: string[] = [];
  const { machine } = results;
  out.push(`# Benchmark ${results.date.slice(0, 10)}${results.quick ? ' (quick run)' : ''}`);
  out.push(
    `Commit ${results.revision.commit}${results.revision.uncommittedChanges ? ' with uncommitted changes to src/, the template or the contract' : ''}; ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}; load average ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' / ')} at the start, 1-minute load ${machine.loadAverageDuringRun.median} (median) to ${machine.loadAverageDuringRun.max} (max) during the run: other work shares this machine, and a load above 2 means the run got less than the two cores. Prices: ${results.prices}.`,
  );

  out.push('\n## Targets\n');
  out.push(table(['Target', 'Goal', 'Reached', ''], results.targets.map((target) => [target.name, target.goal, target.reached, mark(target.met)])));

  const cold = results.coldStart;
  if (cold) {
    out.push(`\n## 1. Cold start\n`);
    out.push(
      `Production bundles built by esbuild from each function's Metadata.BuildProperties; naive = the same handler as CommonJS, not minified, no tree-shaking, every dependency (AWS SDK included) inside. Module init = median of ${cold.rounds} fresh Node ${cold.node} processes requiring the bundle with the function's environment (placeholders for resources, the template's NODE_OPTIONS), interleaved. First request = an API request refused by validation (no AWS call), which compiles that route's validator.\n`,
    );
    out.push(
      table(
        ['Function', 'Bundle KB (map)', 'Naive KB', 'Init ms', 'Naive init ms', 'Ratio', 'First request ms', 'SDK alone ms', 'Init without source maps ms', 'SDK tree-shaken in: KB, init ms (no maps)'],
        cold.functions.map((fn) => [
          fn.logicalId,
          `${fixed(fn.production.jsKb, 1)} (${fixed(fn.production.mapKb, 0)})`,
          fixed(fn.naive.jsKb, 0),
          fixed(fn.init.production.medianMs, 1),
          fixed(fn.init.naive.medianMs, 1),
          fixed(fn.ratio, 2),
          fn.init.production.firstRequestMs === undefined ? '' : fixed(fn.init.production.firstRequestMs, 1),
          fixed(fn.init.sdkFloor.medianMs, 1),
          fixed(fn.init.productionNoSourceMaps.medianMs, 1),
          `${fixed(fn.sdkTreeShaken.jsKb, 0)}, ${fixed(fn.init.sdkTreeShaken.medianMs, 1)} (${fixed(fn.init.sdkTreeShakenNoSourceMaps.medianMs, 1)})`,
        ]),
      ),
    );
    const bounded = cold.functions.filter((fn) => fn.bounds);
    if (bounded.length > 0) {
      out.push('\nWhat bounds the misses (one breakdown run each): bytes in the bundle by package; init time by package (exclusive load time: resolve, read, compile, run); CPU time inside the bundle by bundled package (source-mapped `--cpu-prof`).\n');
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
    out.push(`This design as counted during the ${step} step (AWS SDK middleware in every function and in the queue pollers); the original design modelled from its flow (see bench/cost.ts), with this run's products per order and call latencies.\n`);
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
    const { functionConcurrency, pollerConcurrency } = results.options;
    out.push(
      `The local runtime as \`npm start\` runs it${functionConcurrency || pollerConcurrency ? `, except: ${[functionConcurrency ? `${functionConcurrency} execution environments per function` : '', pollerConcurrency ? `${pollerConcurrency} pollers per queue (ScalingConfig still caps)` : ''].filter(Boolean).join(', ')}` : ''}; accounts and stock seeded so that every order ships; 1–3 products an order; a warm-up of 20 orders/s first, not measured. A steady step's final / s counts orders that became final inside its sending window after its first seconds.\n`,
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
    out.push(`\nCPU per accepted order on this machine (ms), from the step's first order to its last final state; two cores give 2000 ms a second:\n`);
    out.push(
      table(
        ['Load', 'Stack main thread (API, pollers, fauxqs)', 'Lambda workers', 'DynamoDB Local', 'Load generator', 'Total', 'Orders/s two cores allow at that cost'],
        results.steps.map((step) => [
          step.label.split(' (')[0] ?? step.label,
          fixed(step.cpuMsPerOrder.hostMainThread, 1),
          fixed(step.cpuMsPerOrder.lambdaWorkers, 1),
          fixed(step.cpuMsPerOrder.dynamoDbLocal, 1),
          fixed(step.cpuMsPerOrder.loadGenerator, 1),
          fixed(step.cpuMsPerOrder.total, 1),
          step.cpuMsPerOrder.total > 0 ? fixed(2000 / step.cpuMsPerOrder.total, 0) : '',
        ]),
      ),
    );
    const functionNames = [...new Set(results.steps.flatMap((step) => Object.keys(step.lambda)))].sort();
    out.push(`\nLambda durations as the functions ran here (p50 / p99 ms, invocations; cold starts; how busy its slots were: execution environments, or for a queue consumer its pollers):\n`);
    out.push(
      table(
        ['Function', ...results.steps.map((step) => step.label.split(' (')[0] ?? step.label)],
        functionNames.map((name) => [
          name,
          ...results.steps.map((step) => {
            const stats = step.lambda[name];
            return stats ? `${fixed(stats.p50Ms, 0)} / ${fixed(stats.p99Ms, 0)} (${stats.invocations}${stats.coldStarts ? `; ${stats.coldStarts} cold` : ''}; ${fixed(100 * stats.busy, 0)} % of ${stats.slots} busy)` : '';
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

  if (results.notes.length > 0) {
    out.push('\n## Notes\n');
    for (const note of results.notes) out.push(`- ${note}`);
  }
  return `${out.join('\n')}\n`;
}
