// Scenarios that mostly wait (for a fault's window, a visibility timeout, the sweeper) run at once,
// each on a stack of its own: all start before the file's tests, and each test awaits its own.
import { StackProcess, type StackOptions } from './localStack';

export type StartStack = (options: StackOptions) => Promise<StackProcess>;

/** Starts every scenario in beforeAll and stops the stacks they started in afterAll; returns each one's result. */
export function atOnce<T extends Record<string, (start: StartStack) => Promise<unknown>>>(scenarios: T): { [K in keyof T]: Promise<Awaited<ReturnType<T[K]>>> } {
  const stacks: StackProcess[] = [];
  const start: StartStack = async (options) => {
    const stack = await StackProcess.start(options);
    stacks.push(stack);
    return stack;
  };
  const results = {} as { [K in keyof T]: Promise<Awaited<ReturnType<T[K]>>> };
  beforeAll(() => {
    for (const name of Object.keys(scenarios) as (keyof T)[]) {
      const result = scenarios[name]?.(start) as Promise<Awaited<ReturnType<T[typeof name]>>>;
      // Each test reports its own scenario's failure; this only keeps an unawaited rejection quiet.
      result.catch(() => undefined);
      results[name] = result;
    }
  });
  afterAll(() => Promise.all(stacks.map((stack) => stack.stop())), 60_000);
  return results;
}
