// Who spent the stack's CPU. The local runtime is one Node process: its main thread runs the API
// gateway, the SQS pollers, the scheduler and fauxqs; each function's execution environment is a
// worker thread of the same process, which the instrument names LAMBDA_THREAD_NAME; the rest of its
// threads are Node's own (V8's garbage collection and compilers, libuv's pool), working for all of
// them. DynamoDB Local is a child process, a JVM. Times come from /proc (host.ts reads them).

/** The name the instrument gives each execution environment's thread (at most 15 characters, as Linux keeps). */
export const LAMBDA_THREAD_NAME = 'lambda-env';

export interface ThreadCpu {
  tid: number;
  name: string;
  /** utime + stime, in seconds. */
  seconds: number;
}

/** CPU seconds used so far by the stack, by who used them. */
export interface CpuSample {
  /** The runtime's main thread: the API gateway, the SQS pollers, the scheduler, fauxqs. */
  runtimeMainThread: number;
  /** The functions: their execution environments' threads. */
  functions: number;
  /** The stack process's other threads (V8's GC and JIT, libuv's pool) and any child but DynamoDB Local (esbuild). */
  runtimeOther: number;
  /** DynamoDB Local's JVM. */
  dynamoDbLocal: number;
}

/**
 * Splits the stack's CPU: `processSeconds` is the whole process's (its threads, exited ones
 * included), `threads` its live threads, `children` what it started. A thread that has exited
 * is no longer listed: its time stays in the process's and so lands in runtimeOther.
 */
export function splitStackCpu(pid: number, processSeconds: number, threads: readonly ThreadCpu[], children: readonly { isDynamoDbLocal: boolean; seconds: number }[]): CpuSample {
  const runtimeMainThread = threads.find((thread) => thread.tid === pid)?.seconds ?? 0;
  const functions = threads.filter((thread) => thread.tid !== pid && thread.name === LAMBDA_THREAD_NAME).reduce((total, thread) => total + thread.seconds, 0);
  const otherChildren = children.filter((child) => !child.isDynamoDbLocal).reduce((total, child) => total + child.seconds, 0);
  return {
    runtimeMainThread,
    functions,
    runtimeOther: Math.max(0, processSeconds - runtimeMainThread - functions) + otherChildren,
    dynamoDbLocal: children.filter((child) => child.isDynamoDbLocal).reduce((total, child) => total + child.seconds, 0),
  };
}

export interface CpuMsPerOrder {
  runtimeMainThread: number;
  functions: number;
  runtimeOther: number;
  dynamoDbLocal: number;
  loadGenerator: number;
  total: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** CPU milliseconds per order between two samples, by who spent them; `loadGeneratorSeconds` is the bench's own over the same time. */
export function cpuPerOrder(from: CpuSample, to: CpuSample, loadGeneratorSeconds: number, orders: number): CpuMsPerOrder {
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, orders);
  const exact = {
    runtimeMainThread: per(to.runtimeMainThread - from.runtimeMainThread),
    functions: per(to.functions - from.functions),
    runtimeOther: per(to.runtimeOther - from.runtimeOther),
    dynamoDbLocal: per(to.dynamoDbLocal - from.dynamoDbLocal),
    loadGenerator: per(loadGeneratorSeconds),
  };
  const total = exact.runtimeMainThread + exact.functions + exact.runtimeOther + exact.dynamoDbLocal + exact.loadGenerator;
  return {
    runtimeMainThread: round1(exact.runtimeMainThread),
    functions: round1(exact.functions),
    runtimeOther: round1(exact.runtimeOther),
    dynamoDbLocal: round1(exact.dynamoDbLocal),
    loadGenerator: round1(exact.loadGenerator),
    total: round1(total),
  };
}

/** The cores other processes kept busy, and the hypervisor's steal, over an interval: from /proc/stat's busy and steal and this run's own CPU, all in seconds. */
export function machineLoad(seconds: number, machineBusy: number, own: number, steal: number): { otherCores: number; stealCores: number } {
  const over = Math.max(seconds, 1e-9);
  return { otherCores: Math.round((Math.max(0, machineBusy - own) / over) * 100) / 100, stealCores: Math.round((steal / over) * 100) / 100 };
}
