import { isTransientCancellation, until, withRetries } from '../../../src/adapters/retry';

const failingTimes = (failures: number) => {
  let calls = 0;
  const operation = jest.fn(async () => {
    calls++;
    if (calls <= failures) throw new Error(`failure ${calls}`);
    return 'done';
  });
  return operation;
};

// Fake timers: the waits between attempts and the deadlines pass without anyone waiting for them.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Lets every wait the operation sets up pass, then hands back how it ended. */
async function settled<T>(running: Promise<T>): Promise<PromiseSettledResult<T>> {
  const outcome = Promise.allSettled([running]).then(([result]) => result as PromiseSettledResult<T>);
  await jest.runAllTimersAsync();
  return outcome;
}
const failure = (result: PromiseSettledResult<unknown>) => (result.status === 'rejected' ? (result.reason as Error).message : 'no failure');

describe('retrying an operation that failed for a passing reason', () => {
  it('tries again until it succeeds, within the attempts', async () => {
    const operation = failingTimes(2);
    expect(await settled(withRetries(operation, { attempts: 3, baseDelayMs: 1 }))).toEqual({ status: 'fulfilled', value: 'done' });
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('gives up after the attempts with the last error', async () => {
    const operation = failingTimes(5);
    expect(failure(await settled(withRetries(operation, { attempts: 3, baseDelayMs: 1 })))).toBe('failure 3');
  });

  it('tells onRetry of each failure it tries again, not of the one it gives up on', async () => {
    const retried: string[] = [];
    expect(failure(await settled(withRetries(failingTimes(5), { attempts: 3, baseDelayMs: 1, onRetry: (error) => retried.push((error as Error).message) })))).toBe('failure 3');
    expect(retried).toEqual(['failure 1', 'failure 2']);
  });

  it('does not retry an error that is not retryable', async () => {
    const operation = failingTimes(5);
    expect(failure(await settled(withRetries(operation, { baseDelayMs: 1, isRetryable: () => false })))).toBe('failure 1');
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('with a deadline, keeps trying past any number of attempts until the deadline', async () => {
    const operation = failingTimes(20);
    expect(await settled(withRetries(operation, { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 1, maxDelayMs: 2, deadline: Date.now() + 10_000 }))).toEqual({ status: 'fulfilled', value: 'done' });
    expect(operation).toHaveBeenCalledTimes(21);
  });

  it('starts no attempt whose wait would end after the deadline', async () => {
    const operation = failingTimes(Number.POSITIVE_INFINITY);
    const deadline = Date.now() + 150;
    const startedAt: number[] = [];
    const timed = jest.fn(async () => {
      startedAt.push(Date.now());
      return operation();
    });
    expect(failure(await settled(withRetries(timed, { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 10, maxDelayMs: 50, deadline })))).toMatch(/failure/);
    // By the fake clock: every attempt started before the deadline, and it gave up without waiting past it.
    expect(startedAt.length).toBeGreaterThan(1);
    expect(Math.max(...startedAt)).toBeLessThan(deadline);
    expect(Date.now()).toBeLessThan(deadline);
  });
});

describe('bounding a call by the time its caller must answer by', () => {
  it('leaves a call without a deadline unbounded', () => {
    expect(until(undefined)).toEqual({});
    expect(until(Number.POSITIVE_INFINITY)).toEqual({});
  });

  it('abandons the call once the deadline has passed', async () => {
    const { abortSignal } = until(Date.now() - 1);
    await jest.advanceTimersByTimeAsync(0);
    expect(abortSignal?.aborted).toBe(true);
    expect((abortSignal?.reason as Error).name).toBe('TimeoutError');
  });

  it('lets the call run until then', () => {
    expect(until(Date.now() + 60_000).abortSignal?.aborted).toBe(false);
  });

  it('takes a deadline with a fraction of a millisecond (a share of the time left), and still abandons the call at it', async () => {
    const { abortSignal } = until(Date.now() + 20.5);
    await jest.advanceTimersByTimeAsync(19);
    expect(abortSignal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(2);
    expect(abortSignal?.aborted).toBe(true);
  });
});

describe('a cancelled transaction', () => {
  it('is worth retrying when it lost a race or was throttled, and not when a condition failed', () => {
    expect(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded'].map((Code) => isTransientCancellation({ Code }))).toEqual([true, true, true]);
    expect([isTransientCancellation({ Code: 'ConditionalCheckFailed' }), isTransientCancellation({ Code: 'None' }), isTransientCancellation(undefined)]).toEqual([false, false, false]);
  });
});
