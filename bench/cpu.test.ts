// Who spent the stack's CPU, and the JVM comparison's arithmetic. Run: npm run test:bench
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPerOrder, LAMBDA_THREAD_NAME, machineLoad, splitStackCpu, type CpuSample } from './cpu';
import { summarizeJvm, turnOrder, type JvmRun } from './jvm';

describe('splitting the stack process by thread', () => {
  const threads = [
    { tid: 100, name: 'node', seconds: 4 },
    { tid: 101, name: 'node', seconds: 1.5 },
    { tid: 102, name: 'libuv-worker', seconds: 0.5 },
    { tid: 110, name: LAMBDA_THREAD_NAME, seconds: 3 },
    { tid: 111, name: LAMBDA_THREAD_NAME, seconds: 2 },
  ];

  it('gives the main thread to the runtime, the named threads to the functions and the rest of the process to the runtime’s other threads', () => {
    const sample = splitStackCpu(100, 11, threads, [{ isDynamoDbLocal: true, seconds: 7 }]);
    assert.deepEqual(sample, { runtimeMainThread: 4, functions: 5, runtimeOther: 2, dynamoDbLocal: 7 });
  });

  it('keeps an exited thread’s time, which only the process still counts, in the runtime’s other threads', () => {
    // 3 s more in the process than its live threads hold: a worker that has ended.
    assert.equal(splitStackCpu(100, 14, threads, []).runtimeOther, 5);
  });

  it('counts a child other than DynamoDB Local (esbuild) with the runtime’s other work', () => {
    const sample = splitStackCpu(100, 11, threads, [
      { isDynamoDbLocal: true, seconds: 7 },
      { isDynamoDbLocal: false, seconds: 0.25 },
    ]);
    assert.equal(sample.dynamoDbLocal, 7);
    assert.equal(sample.runtimeOther, 2.25);
  });
});

describe('CPU per order', () => {
  const from: CpuSample = { runtimeMainThread: 10, functions: 20, runtimeOther: 5, dynamoDbLocal: 30 };
  const to: CpuSample = { runtimeMainThread: 12, functions: 28, runtimeOther: 6, dynamoDbLocal: 34 };

  it('divides each one’s seconds between two samples by the orders, in milliseconds, and adds them up', () => {
    assert.deepEqual(cpuPerOrder(from, to, 0.5, 500), { runtimeMainThread: 4, functions: 16, runtimeOther: 2, dynamoDbLocal: 8, loadGenerator: 1, total: 31 });
  });

  it('sums the unrounded figures, so the total is not the sum of rounding errors', () => {
    const third = cpuPerOrder(from, { ...from, functions: from.functions + 1 / 3, dynamoDbLocal: from.dynamoDbLocal + 1 / 3 }, 1 / 3, 1000);
    assert.equal(third.functions, 0.3);
    assert.equal(third.total, 1);
  });

  it('counts no orders as one, rather than dividing by zero', () => {
    assert.equal(cpuPerOrder(from, to, 0, 0).dynamoDbLocal, 4000);
  });
});

describe('the machine’s load over an interval', () => {
  it('is the busy time of every process but this run’s, and the steal, in cores', () => {
    assert.deepEqual(machineLoad(10, 15, 12, 0.5), { otherCores: 0.3, stealCores: 0.05 });
  });

  it('never reports a negative load when this run’s own count is ahead of /proc/stat’s', () => {
    assert.equal(machineLoad(10, 11, 12, 0).otherCores, 0);
  });
});

describe('the JVM comparison', () => {
  it('alternates the configurations, so that a drift in the machine’s load falls on both', () => {
    assert.deepEqual(
      turnOrder(2, 3).map((turn) => turn.configuration),
      [0, 1, 1, 0, 0, 1],
    );
  });

  const run = (label: string, round: number, figures: { start: number; final: number; p99: number; dynamo: number; total: number }): JvmRun => ({
    label,
    round,
    startSeconds: figures.start,
    dynamoDbLocalStartCpuSeconds: figures.start * 2,
    finalPerSecond: figures.final,
    acceptedPerSecond: figures.final,
    p99Ms: figures.p99,
    stillOpen: 0,
    cpuMsPerOrder: { runtimeMainThread: 0, functions: 0, runtimeOther: 0, dynamoDbLocal: figures.dynamo, loadGenerator: 0, total: figures.total },
    dynamoDbLocalRssMb: { afterWarmUp: 100, peak: figures.start * 20 },
    machine: { otherCores: 0, stealCores: 0 },
  });

  it('takes the median of each configuration’s stacks and divides the second’s by the first’s', () => {
    const configurations = [
      { label: 'C1', options: ['-XX:TieredStopAtLevel=1'] },
      { label: 'C2', options: ['-XX:TieredStopAtLevel=4'] },
    ];
    const { summaries, ratios } = summarizeJvm(configurations, [
      run('C1', 0, { start: 10, final: 60, p99: 4000, dynamo: 10, total: 32 }),
      run('C2', 0, { start: 12, final: 66, p99: 3000, dynamo: 8, total: 30 }),
      run('C2', 1, { start: 14, final: 70, p99: 2000, dynamo: 7, total: 28 }),
      run('C1', 1, { start: 10, final: 62, p99: 5000, dynamo: 12, total: 34 }),
      run('C1', 2, { start: 30, final: 20, p99: 9000, dynamo: 11, total: 33 }),
    ]);
    // Nearest-rank medians: of three, the middle one; of two, the lower one.
    assert.deepEqual(
      summaries.map((summary) => [summary.label, summary.startSeconds, summary.finalPerSecond, summary.p99Ms, summary.dynamoDbLocalCpuMsPerOrder]),
      [
        ['C1', 10, 60, 5000, 11],
        ['C2', 12, 66, 2000, 7],
      ],
    );
    assert.deepEqual(ratios, { startSeconds: 1.2, dynamoDbLocalStartCpuSeconds: 1.2, finalPerSecond: 1.1, p99Ms: 0.4, dynamoDbLocalCpuMsPerOrder: 0.64, totalCpuMsPerOrder: 0.85, dynamoDbLocalPeakRssMb: 1.2 });
  });
});
