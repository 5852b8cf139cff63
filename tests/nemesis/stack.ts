// The nemesis's one door to a running local stack (`npm start` as a child process) and to what can
// be seen of it from outside: HTTP, the tables, the queues. Everything else in tests/nemesis goes
// through this file. It reaches the local runtime through its public API only (local-sam).
import { StackProcess, sleep } from '../guarantees/support/localStack';
import { allOrders, accountBalances, deadLetters, queueDepth, stockBalances } from '../guarantees/support/observe';

export { StackProcess, sleep };
export { seededRandom } from '../guarantees/support/random';
export { BUSINESS_REJECTION, DEAD_LETTER_REJECTION, lastLog } from '../guarantees/support/observe';
export type { StackOptions } from '../guarantees/support/localStack';
// The fault injector's configuration, as `npm start -- --faults` reads it.
export { formatRule, readFaultSpec, THROTTLING_ERRORS, type FaultConfig, type FaultRule } from 'local-sam';

/** An HTTP answer, or `timedOut` when the client stopped waiting (the request may still have been handled). */
export interface Answer {
  status: number | 'timeout' | 'network';
  headers?: Headers;
  body?: Record<string, unknown>;
  text?: string;
}

/** One request as a client with a patience of `timeoutMs` sends it. */
export async function send(stack: StackProcess, method: string, path: string, { body, headers = {}, timeoutMs = 10_000 }: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  try {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  } catch (error) {
    return { status: (error as Error).name === 'TimeoutError' ? 'timeout' : 'network', text: (error as Error).message };
  }
}

/** Moves a dead-letter queue's messages back to its source queue, as the console's Redrive button does. */
export async function redrive(stack: StackProcess, deadLetterQueue: string): Promise<string> {
  const answer = await send(stack, 'POST', `/console/redrive/${deadLetterQueue}`, { timeoutMs: 60_000 });
  return answer.status === 200 ? `moved ${String(answer.body?.moved)}` : `failed: ${String(answer.status)} ${answer.text ?? ''}`;
}

/** Runs the sweeper once now (its schedule runs it every minute anyway); a failed run is reported, not thrown. */
export const sweepNow = (stack: StackProcess): Promise<boolean> => stack.invoke('OrderSweeperFunction').then(
  () => true,
  () => false,
);

/** The stack's state as an operator reads it: every order (withdrawn ones left out), balances, queue depths, dead letters. */
export async function observe(stack: StackProcess) {
  const depths = Object.fromEntries(await Promise.all(stack.workQueues.map(async (queue) => [queue, await queueDepth(stack, stack.queueUrl(queue))] as const)));
  return {
    orders: [...(await allOrders(stack)).values()],
    accounts: await accountBalances(stack),
    stock: await stockBalances(stack),
    workQueueDepths: depths as Record<string, number>,
    workQueues: stack.workQueues,
  };
}

/** What each dead-letter queue holds, by its own logical id: the orderId each message names (or its raw body). */
export async function deadLetterOrders(stack: StackProcess): Promise<Record<string, string[]>> {
  const byWorkQueue = await deadLetters(stack);
  const dlqName = (workQueue: string) => Object.values(stack.state.queues).find((queue) => queue.url === stack.deadLetterQueueUrl(workQueue))?.logicalId ?? workQueue;
  return Object.fromEntries(
    Object.entries(byWorkQueue).map(([workQueue, messages]) => [
      dlqName(workQueue),
      messages.map((message) => {
        try {
          return String((JSON.parse(message.Body ?? '') as { orderId?: unknown }).orderId);
        } catch {
          return message.Body ?? '';
        }
      }),
    ]),
  );
}

/** Epoch ms when the stack became ready (fault windows count from here). */
export async function readyAt(stack: StackProcess): Promise<number> {
  return (await stack.faultCounts()).readyAt ?? Date.now();
}
