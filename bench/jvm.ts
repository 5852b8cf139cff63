// Part 5, DynamoDB Local's JVM options: the same stack started with each configuration in turn,
// back to back in one run, alternating (A B B A ...) so that a drift in the machine's load falls on
// both. Each start is timed; each stack is seeded, warmed up and then held at one rate, and the
// figures are compared as ratios within the run. The options reach DynamoDB Local through the
// runtime's LOCAL_SAM_DYNAMODB_JVM_OPTIONS, after its defaults.
import { cpuPerOrder, machineLoad, type CpuMsPerOrder } from './cpu';
import { DYNAMODB_LOCAL_ROLE, launchStack, machineCpuSeconds } from './host';
import { orderFactory, seed, steadyLoad, targetOf } from './load';
import type { Progress } from './progress';
import { median, round } from './stats';

export interface JvmConfiguration {
  label: string;
  options: string[];
}

/** The two ways the JVM can compile DynamoDB Local's code: C1 alone, or C1 then C2 for hot code (the JVM's default). */
export const JVM_CONFIGURATIONS: JvmConfiguration[] = [
  { label: 'C1 only', options: ['-XX:TieredStopAtLevel=1'] },
  { label: 'tiered (C1, then C2)', options: ['-XX:TieredStopAtLevel=4'] },
];

export interface JvmRun {
  label: string;
  round: number;
  /** From spawning npm start to its state file (DynamoDB Local's JVM starting is the longest part). */
  startSeconds: number;
  /** DynamoDB Local's CPU by then: its start and the tables' creation. */
  dynamoDbLocalStartCpuSeconds: number;
  finalPerSecond: number;
  acceptedPerSecond: number;
  p99Ms: number;
  stillOpen: number;
  cpuMsPerOrder: CpuMsPerOrder;
  /** DynamoDB Local's resident memory: once the warm-up is over, and its highest during the step (one sample a second). */
  dynamoDbLocalRssMb: { afterWarmUp: number; peak: number };
  /** Cores other processes kept busy during the step, and the hypervisor's steal. */
  machine: { otherCores: number; stealCores: number };
}

export interface JvmSummary {
  label: string;
  options: string[];
  /** Medians over the rounds. */
  startSeconds: number;
  dynamoDbLocalStartCpuSeconds: number;
  finalPerSecond: number;
  p99Ms: number;
  dynamoDbLocalCpuMsPerOrder: number;
  totalCpuMsPerOrder: number;
  dynamoDbLocalPeakRssMb: number;
}

export interface JvmComparison {
  rate: number;
  seconds: number;
  warmUp: { rate: number; seconds: number };
  runs: JvmRun[];
  summaries: JvmSummary[];
  /** The second configuration's median over the first's, figure by figure. */
  ratios: { startSeconds: number; dynamoDbLocalStartCpuSeconds: number; finalPerSecond: number; p99Ms: number; dynamoDbLocalCpuMsPerOrder: number; totalCpuMsPerOrder: number; dynamoDbLocalPeakRssMb: number };
}

/** Which configuration runs at each turn: A B, then B A, and so on. */
export function turnOrder(configurations: number, rounds: number): { configuration: number; round: number }[] {
  const turns: { configuration: number; round: number }[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const order = Array.from({ length: configurations }, (_, index) => index);
    for (const configuration of round % 2 === 0 ? order : order.reverse()) turns.push({ configuration, round });
  }
  return turns;
}

/** Medians by configuration, and the second's over the first's. */
export function summarizeJvm(configurations: JvmConfiguration[], runs: JvmRun[]): Pick<JvmComparison, 'summaries' | 'ratios'> {
  const summaries = configurations.map((configuration) => {
    const own = runs.filter((run) => run.label === configuration.label);
    const of = (pick: (run: JvmRun) => number) => median(own.map(pick));
    return {
      label: configuration.label,
      options: configuration.options,
      startSeconds: round(of((run) => run.startSeconds), 1),
      dynamoDbLocalStartCpuSeconds: round(of((run) => run.dynamoDbLocalStartCpuSeconds), 1),
      finalPerSecond: round(of((run) => run.finalPerSecond), 1),
      p99Ms: of((run) => run.p99Ms),
      dynamoDbLocalCpuMsPerOrder: round(of((run) => run.cpuMsPerOrder.dynamoDbLocal), 1),
      totalCpuMsPerOrder: round(of((run) => run.cpuMsPerOrder.total), 1),
      dynamoDbLocalPeakRssMb: round(of((run) => run.dynamoDbLocalRssMb.peak), 0),
    };
  });
  const [first, second] = summaries;
  const ratio = (pick: (summary: JvmSummary) => number) => (first && second && pick(first) > 0 ? round(pick(second) / pick(first), 2) : Number.NaN);
  return {
    summaries,
    ratios: {
      startSeconds: ratio((summary) => summary.startSeconds),
      dynamoDbLocalStartCpuSeconds: ratio((summary) => summary.dynamoDbLocalStartCpuSeconds),
      finalPerSecond: ratio((summary) => summary.finalPerSecond),
      p99Ms: ratio((summary) => summary.p99Ms),
      dynamoDbLocalCpuMsPerOrder: ratio((summary) => summary.dynamoDbLocalCpuMsPerOrder),
      totalCpuMsPerOrder: ratio((summary) => summary.totalCpuMsPerOrder),
      dynamoDbLocalPeakRssMb: ratio((summary) => summary.dynamoDbLocalPeakRssMb),
    },
  };
}

export interface JvmSettings {
  rounds: number;
  rate: number;
  seconds: number;
  warmUp: { rate: number; seconds: number };
  drainCapSeconds: number;
}

/** Runs every configuration `rounds` times; `ownCpuSeconds` is this run's own CPU so far (its processes and theirs). */
export async function compareJvmOptions(root: string, settings: JvmSettings, progress: Progress, ownCpuSeconds: () => number, configurations = JVM_CONFIGURATIONS): Promise<JvmComparison> {
  const runs: JvmRun[] = [];
  for (const turn of turnOrder(configurations.length, settings.rounds)) {
    const configuration = configurations[turn.configuration] as JvmConfiguration;
    progress.phase(`DynamoDB Local's JVM, ${configuration.label} (${configuration.options.join(' ')}), round ${turn.round + 1}: starting the stack`);
    const stack = await launchStack(root, { jvmOptions: configuration.options });
    try {
      const dynamoDbLocalStartCpuSeconds = stack.cpu().dynamoDbLocal;
      const target = targetOf(stack.ready);
      await seed(target);
      await steadyLoad(target, settings.warmUp.rate, settings.warmUp.seconds, settings.drainCapSeconds, orderFactory(1), progress, `Warm-up, ${configuration.label} (not measured)`);
      await stack.drain();
      const dynamoRss = () => stack.memory().filter((entry) => entry.role === DYNAMODB_LOCAL_ROLE).reduce((total, entry) => total + entry.rssMb, 0);
      const afterWarmUp = dynamoRss();
      let peak = afterWarmUp;
      const sampler = setInterval(() => (peak = Math.max(peak, dynamoRss())), 1000);
      const before = { stack: stack.cpu(), self: process.cpuUsage(), machine: machineCpuSeconds(), own: ownCpuSeconds(), at: performance.now() };
      const step = await steadyLoad(target, settings.rate, settings.seconds, settings.drainCapSeconds, orderFactory(20261208), progress, `Steady load, ${configuration.label}`).finally(() => clearInterval(sampler));
      const self = process.cpuUsage(before.self);
      const after = { stack: stack.cpu(), machine: machineCpuSeconds(), own: ownCpuSeconds(), at: performance.now() };
      runs.push({
        label: configuration.label,
        round: turn.round,
        startSeconds: round(stack.startSeconds, 1),
        dynamoDbLocalStartCpuSeconds: round(dynamoDbLocalStartCpuSeconds, 2),
        finalPerSecond: step.finalPerSecond,
        acceptedPerSecond: step.acceptedPerSecond,
        p99Ms: step.postToFinalMs.p99,
        stillOpen: step.orders.stillOpen,
        cpuMsPerOrder: cpuPerOrder(before.stack, after.stack, (self.user + self.system) / 1e6, step.orders.accepted),
        dynamoDbLocalRssMb: { afterWarmUp: round(afterWarmUp, 0), peak: round(Math.max(peak, dynamoRss()), 0) },
        machine: machineLoad((after.at - before.at) / 1000, after.machine.busy - before.machine.busy, after.own - before.own, after.machine.steal - before.machine.steal),
      });
    } finally {
      await stack.stop();
    }
  }
  return { rate: settings.rate, seconds: settings.seconds, warmUp: settings.warmUp, runs, ...summarizeJvm(configurations, runs) };
}
