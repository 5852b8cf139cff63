// What the instrument (instrument.ts) observes inside the stack `npm start` runs, and how it is
// handed out. Free of side effects on purpose: the benchmark imports it.
import type { Tally } from './awsRequests';
import type { PartitionTally } from './partitions';

export const EVENT_SOURCE_SCOPE = 'event source mappings';
export const DURATION_SAMPLES = 5000;

/** Set by the benchmark for the stack's process: the script the instrument serves in (npm's and other processes that inherit it stay passive). */
export const INSTRUMENT_SCRIPT_ENV = 'ORDER_CAPTURE_BENCH_SCRIPT';
/** Where the instrument writes the address of its answers (GET /drain). */
export const INSTRUMENT_FILE_ENV = 'ORDER_CAPTURE_BENCH_FILE';

export interface InvocationStats {
  invocations: number;
  failed: number;
  /** Sum of durations rounded up to the millisecond, as Lambda bills them. */
  billedMs: number;
  durationSamplesMs: number[];
  coldStarts: number;
  initMsTotal: number;
}

/** Keyed by AWS_LAMBDA_FUNCTION_NAME. */
export type InvocationTally = Record<string, InvocationStats>;

/** Log lines and bytes per function (what CloudWatch Logs would ingest), and the first error lines. */
export interface LogVolume {
  bySource: Record<string, { lines: number; bytes: number }>;
  errors: string[];
}

/** How Node ran: the flags on its command line and those in NODE_OPTIONS (the instrument's own preload left out). */
export interface NodeConfiguration {
  execArgv: string[];
  nodeOptions: string;
}

export interface StackConfiguration {
  node: string;
  /** The stack's process: its flags, its script and the script's arguments. */
  stack: NodeConfiguration & { script: string; args: string[] };
  /** Each Lambda worker as it saw itself, by AWS_LAMBDA_FUNCTION_NAME. */
  workers: Record<string, NodeConfiguration>;
  /** Execution environments started so far, by AWS_LAMBDA_FUNCTION_NAME. */
  environments: Record<string, number>;
}

export interface Observed {
  requests: Tally;
  invocations: InvocationTally;
  partitions: PartitionTally;
  logs: LogVolume;
}

export type Drained = Observed & { configuration: StackConfiguration };

export const emptyInvocations = (): InvocationStats => ({ invocations: 0, failed: 0, billedMs: 0, durationSamplesMs: [], coldStarts: 0, initMsTotal: 0 });

export function mergeInvocations(into: InvocationTally, from: InvocationTally): InvocationTally {
  for (const [name, stats] of Object.entries(from)) {
    const target = (into[name] ??= emptyInvocations());
    target.invocations += stats.invocations;
    target.failed += stats.failed;
    target.billedMs += stats.billedMs;
    target.coldStarts += stats.coldStarts;
    target.initMsTotal += stats.initMsTotal;
    const room = DURATION_SAMPLES - target.durationSamplesMs.length;
    if (room > 0) target.durationSamplesMs.push(...stats.durationSamplesMs.slice(0, room));
  }
  return into;
}
