// EventBridge schedules (`Type: Schedule` / `ScheduleV2` events): a function with
// `Schedule: rate(1 minute)` is invoked every minute, and one with `cron(0 * * * ? *)` at every
// hour (cron.ts, in UTC), with a Scheduled Event (or the event's Input), asynchronously, as
// EventBridge would. An expression that cannot run locally is listed with the reason.
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { CronError, nextCronTime, parseCron, type Cron } from './cron';
import type { FunctionDefinition } from './functions';

export interface ScheduleSource {
  functionLogicalId: string;
  eventName: string;
  expression: string;
  /** rate(...): the interval. */
  intervalMs?: number;
  /** cron(...): the parsed expression. */
  cron?: Cron;
  /** at(...) (ScheduleV2's one-time schedules): when. */
  at?: number;
  /** The event's Input, parsed: what the function gets instead of a Scheduled Event. */
  input?: unknown;
  /** Why the schedule does not run locally, when it does not. */
  notRunLocally?: string;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `rate(5 minutes)` -> 300000; undefined for anything else. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/i.exec(expression.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[(match[2] ?? '').toLowerCase()] ?? 0);
}

/** How an expression runs locally: its interval, its cron, its one time, or why not. */
function timing(expression: string, timezone: unknown): Pick<ScheduleSource, 'intervalMs' | 'cron' | 'at' | 'notRunLocally'> {
  const intervalMs = rateIntervalMs(expression);
  if (intervalMs) return { intervalMs };
  const utc = timezone === undefined || ['UTC', 'Etc/UTC', 'GMT'].includes(String(timezone));
  if (/^cron\(/i.test(expression)) {
    if (!utc) return { notRunLocally: `ScheduleExpressionTimezone ${String(timezone)} is not applied locally (only UTC is)` };
    try {
      return { cron: parseCron(expression) };
    } catch (error) {
      if (error instanceof CronError) return { notRunLocally: error.message };
      throw error;
    }
  }
  const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(expression.trim());
  if (at) return utc ? { at: Date.parse(`${at[1]}Z`) } : { notRunLocally: `ScheduleExpressionTimezone ${String(timezone)} is not applied locally (only UTC is)` };
  return { notRunLocally: `${expression} is not a rate(), cron() or at() expression` };
}

export function scheduleSources(functions: FunctionDefinition[]): ScheduleSource[] {
  const sources: ScheduleSource[] = [];
  for (const fn of functions) {
    for (const [eventName, event] of Object.entries(fn.events)) {
      if (event.Type !== 'Schedule' && event.Type !== 'ScheduleV2') continue;
      const properties = event.Properties;
      if (String(properties.Enabled ?? true) === 'false' || properties.State === 'DISABLED') continue;
      const expression = String(properties.Schedule ?? properties.ScheduleExpression ?? '');
      const input = typeof properties.Input === 'string' ? (JSON.parse(properties.Input) as unknown) : undefined;
      sources.push({ functionLogicalId: fn.logicalId, eventName, expression, ...timing(expression, properties.ScheduleExpressionTimezone), ...(input === undefined ? {} : { input }) });
    }
  }
  return sources;
}

/** When a schedule fires next after `after` (epoch ms); `since` is when a rate() schedule started. */
export function nextFireTime(source: ScheduleSource, after: number, since: number): number | undefined {
  if (source.intervalMs) return since + (Math.floor((after - since) / source.intervalMs) + 1) * source.intervalMs;
  if (source.cron) return nextCronTime(source.cron, after);
  if (source.at !== undefined) return source.at > after ? source.at : undefined;
  return undefined;
}

export function scheduledEvent(ruleArn: string, region: string, account: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    // EventBridge stamps whole seconds.
    time: `${now.toISOString().slice(0, 19)}Z`,
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/** The scheduler's time: the real one, or a faster one in tests (every timer and `now` alike). */
export interface SchedulerClock {
  now(): number;
  setTimeout(run: () => void, ms: number): NodeJS.Timeout;
}

export const REAL_CLOCK: SchedulerClock = { now: () => Date.now(), setTimeout: (run, ms) => setTimeout(run, ms) };

export interface SchedulerOptions {
  region: string;
  account: string;
  invoke: (source: ScheduleSource, event: unknown) => Promise<unknown>;
  clock?: SchedulerClock;
}

/** Node's timers hold at most about 24.8 days; a later time is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs the schedules until stopped; a failed run is logged by the pool and not retried.
 * Divergence: neither is a throttled one (--faults), which Lambda's event queue would retry.
 */
export function startSchedules(sources: ScheduleSource[], options: SchedulerOptions): { stop(): Promise<void> } {
  const clock = options.clock ?? REAL_CLOCK;
  const running = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const since = clock.now();
  const fire = (source: ScheduleSource, at: number) => {
    const ruleArn = `arn:aws:events:${options.region}:${options.account}:rule/${source.functionLogicalId}${source.eventName}`;
    const event = source.input ?? scheduledEvent(ruleArn, options.region, options.account, new Date(at));
    const run = options.invoke(source, event).catch(() => undefined);
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  const plan = (source: ScheduleSource, after: number) => {
    const next = nextFireTime(source, after, since);
    if (next === undefined || stopped) return;
    const wait = () => {
      const timer = clock.setTimeout(() => {
        timers.delete(timer);
        if (stopped) return;
        if (clock.now() < next) return wait();
        fire(source, next);
        plan(source, next);
      }, Math.min(MAX_TIMER_MS, Math.max(0, next - clock.now())));
      timers.add(timer);
    };
    wait();
  };
  for (const source of sources) plan(source, since);
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
