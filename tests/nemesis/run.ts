// The nemesis's runner: `npm run test:nemesis` runs the CI seeds, `-- --seed N` replays one,
// `-- --seeds N` (or `A-B`) runs seeds 1..N (A..B), `--parallel K` that many stacks at once. Each
// seed starts a stack of its own with its fault schedule, plays its workload, waits until
// everything settled and judges the invariants. A failing seed prints its seed, its --faults spec,
// the replay command and each violation; the exit code is 1 if any seed failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawSchedule, faultSpec, PARAMETERS, type FaultSchedule } from './faultSchedule';
import { judge, type Verdict } from './invariants';
import { deadLetterOrders, observe, readyAt, sleep, StackProcess, sweepNow } from './stack';
import { drawPlan, openBooks, play } from './workload';

/** The seeds CI runs: one with a long outage (of OrderUpdateFunction) and a redrive, two with short faults only. */
export const CI_SEEDS = [2, 3, 4];
const SETTLE_MS = 360_000;
const REPORTS = join(__dirname, '..', '..', '.local', 'nemesis');

interface Outcome {
  seed: number;
  seconds: number;
  verdict?: Verdict;
  error?: string;
}

/** Waits until every stored order is final and the work queues are empty twice in a row, running the sweeper every 15 s. */
async function settle(stack: StackProcess): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  let quietTimes = 0;
  let lastSweep = 0;
  while (Date.now() < deadline && quietTimes < 2) {
    if (Date.now() - lastSweep > 15_000) {
      lastSweep = Date.now();
      await sweepNow(stack);
    }
    const { orders, workQueueDepths } = await observe(stack);
    const quiet = orders.every((order) => order.status === 'SHIPPED' || order.status === 'REJECTED') && Object.values(workQueueDepths).every((depth) => depth === 0);
    quietTimes = quiet ? quietTimes + 1 : 0;
    await sleep(2_000);
  }
}

/**
 * A stack of the seed's own. The runtime picks free ports and binds them a moment later, so on a
 * machine where other stacks start too, a port can be taken in between: such a start is tried again.
 */
async function startStack(seed: number, schedule: FaultSchedule): Promise<StackProcess> {
  for (let tries = 1; ; tries++) {
    try {
      return await StackProcess.start({ name: `nemesis-${seed}`, parameters: PARAMETERS, faults: schedule.faults });
    } catch (error) {
      if (tries === 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
      process.stdout.write(`[nemesis] seed ${seed}: a port was taken while the stack started; starting it again\n`);
    }
  }
}

async function runSeed(seed: number): Promise<Outcome> {
  const started = Date.now();
  const schedule = drawSchedule(seed);
  const plan = drawPlan(seed);
  let stack: StackProcess | undefined;
  try {
    stack = await startStack(seed, schedule);
    const ready = await readyAt(stack);
    await openBooks(stack, plan);
    const history = await play(stack, plan, schedule, ready);
    await settle(stack);
    const { orders, accounts, stock, workQueueDepths } = await observe(stack);
    const verdict = judge(plan, schedule, history, { orders, accounts, stock, workQueueDepths, deadLetters: await deadLetterOrders(stack) });
    const faults = (await stack.faultCounts()).rules.map(({ text, seen, injected }) => `${text}: ${injected} of ${seen}`);
    mkdirSync(REPORTS, { recursive: true });
    writeFileSync(join(REPORTS, `seed-${seed}.json`), `${JSON.stringify({ seed, spec: faultSpec(schedule.faults), faults, verdict, plan, history }, null, 2)}\n`);
    return { seed, seconds: Math.round((Date.now() - started) / 1000), verdict: { ...verdict, figures: { ...verdict.figures, faults } } };
  } catch (error) {
    return { seed, seconds: Math.round((Date.now() - started) / 1000), error: (error as Error).stack ?? String(error) };
  } finally {
    await stack?.stop();
  }
}

function print(outcome: Outcome): void {
  const { seed, seconds, verdict, error } = outcome;
  const schedule = drawSchedule(seed);
  const failed = error !== undefined || (verdict?.violations.length ?? 0) > 0;
  const lines = [`[nemesis] seed ${seed}: ${failed ? 'FAILED' : 'ok'} in ${seconds} s${schedule.longOutage ? ` (long outage of ${schedule.longOutage.function})` : ''}`];
  if (verdict) lines.push(`  ${JSON.stringify(verdict.figures)}`);
  if (verdict && verdict.unkeyedResidual.length > 0) lines.push(`  unkeyed 502/504 residual (shipped without a 202, as the contract allows): ${verdict.unkeyedResidual.join(', ')}`);
  if (failed) {
    for (const violation of verdict?.violations ?? []) lines.push(`  VIOLATED ${violation.invariant}: ${violation.ids.slice(0, 10).join(', ')}${violation.ids.length > 10 ? ` (+${violation.ids.length - 10})` : ''}${violation.detail ? `\n    ${violation.detail}` : ''}`);
    if (error) lines.push(`  ERROR ${error}`);
    lines.push(`  faults: ${faultSpec(schedule.faults)}`);
    lines.push(`  parameters: ${Object.entries(PARAMETERS).map(([name, value]) => `--param ${name}=${value}`).join(' ')}`);
    lines.push(`  replay: npm run test:nemesis -- --seed ${seed}   (report: .local/nemesis/seed-${seed}.json, stack log: .local/guarantees/nemesis-${seed}/stack.log)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function parseArgs(args: string[]): { seeds: number[]; parallel: number } {
  const value = (name: string) => {
    const index = args.indexOf(name);
    if (index === -1) return undefined;
    const given = args[index + 1];
    if (given === undefined || !/^\d+(-\d+)?$/.test(given)) throw new Error(`${name} needs a number${name === '--seeds' ? ' or a range A-B' : ''}, got ${given ?? 'nothing'}`);
    return given;
  };
  const unknown = args.filter((arg, index) => arg.startsWith('--') && !['--seed', '--seeds', '--parallel'].includes(arg) && !args[index - 1]?.startsWith('--'));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(' ')} (use --seed N, --seeds N or A-B, --parallel K)`);
  const one = value('--seed');
  const many = value('--seeds');
  let seeds = CI_SEEDS;
  if (one !== undefined) seeds = [Number(one)];
  else if (many !== undefined) {
    const [from = 1, to] = many.includes('-') ? many.split('-').map(Number) : [1, Number(many)];
    seeds = Array.from({ length: (to ?? 0) - from + 1 }, (_, index) => from + index);
  }
  if (seeds.length === 0) throw new Error(`no seeds to run from ${args.join(' ')}`);
  const parallel = Number(value('--parallel') ?? (one === undefined && many === undefined ? CI_SEEDS.length : 1));
  return { seeds, parallel: Math.max(1, parallel) };
}

async function main(): Promise<void> {
  const { seeds, parallel } = parseArgs(process.argv.slice(2));
  process.stdout.write(`[nemesis] seeds ${seeds.join(', ')}, ${parallel} at a time\n`);
  const queue = [...seeds];
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const outcome = await runSeed(seed);
        print(outcome);
        outcomes.push(outcome);
      }
    }),
  );
  const failed = outcomes.filter((outcome) => outcome.error !== undefined || (outcome.verdict?.violations.length ?? 0) > 0).map((outcome) => outcome.seed);
  process.stdout.write(`[nemesis] ${outcomes.length} seed(s), ${failed.length === 0 ? 'no violation' : `failed: ${failed.join(', ')}`}\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

if (require.main === module) void main();
