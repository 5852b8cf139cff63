// What the instrument (instrument.ts) observes inside the stack host, and how it is handed out.
// Free of side effects on purpose: the stack host imports it, and importing instrument.ts there
// would load a second instrument beside the preloaded one.
import type { Tally } from './awsRequests';

export const EVENT_SOURCE_SCOPE = 'event source mappings';
/** Where the preloaded instrument publishes itself in the host's main thread. */
export const BENCH_GLOBAL = Symbol.for('order-capture.bench.instrument');
export const DURATION_SAMPLES = 5000;

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

export interface Observed {
  requests: Tally;
  invocations: InvocationTally;
}

export interface BenchInstrument {
  /** Everything observed since the last drain, in every thread that has flushed since. */
  drain(): Observed;
}

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
