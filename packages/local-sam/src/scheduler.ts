// EventBridge schedules (`Type: Schedule` / `ScheduleV2` events): a function with
// `Schedule: rate(1 minute)` is invoked every minute with a Scheduled Event, asynchronously, as
// EventBridge would. cron() expressions are listed but not run locally.
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { FunctionDefinition } from './functions';

export interface ScheduleSource {
  functionLogicalId: string;
  eventName: string;
  expression: string;
  /** Undefined for expressions that are not run locally (cron). */
  intervalMs?: number;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `rate(5 minutes)` -> 300000; undefined for anything else. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/i.exec(expression.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[(match[2] ?? '').toLowerCase()] ?? 0);
}

export function scheduleSources(functions: FunctionDefinition[]): ScheduleSource[] {
  const sources: ScheduleSource[] = [];
  for (const fn of functions) {
    for (const [eventName, event] of Object.entries(fn.events)) {
      if (event.Type !== 'Schedule' && event.Type !== 'ScheduleV2') continue;
      const properties = event.Properties;
      if (String(properties.Enabled ?? true) === 'false' || properties.State === 'DISABLED') continue;
      const expression = String(properties.Schedule ?? properties.ScheduleExpression ?? '');
      const intervalMs = rateIntervalMs(expression);
      sources.push({ functionLogicalId: fn.logicalId, eventName, expression, ...(intervalMs ? { intervalMs } : {}) });
    }
  }
  return sources;
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

export interface SchedulerOptions {
  region: string;
  account: string;
  invoke: (source: ScheduleSource, event: ScheduledEvent) => Promise<unknown>;
}

/**
 * Runs the rate() schedules until stopped; a failed run is logged by the pool and not retried.
 * Divergence: neither is a throttled one (--faults), which Lambda's event queue would retry.
 */
export function startSchedules(sources: ScheduleSource[], options: SchedulerOptions): { stop(): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const timers = sources
    .filter((source) => source.intervalMs)
    .map((source) =>
      setInterval(() => {
        const ruleArn = `arn:aws:events:${options.region}:${options.account}:rule/${source.functionLogicalId}${source.eventName}`;
        const run = options.invoke(source, scheduledEvent(ruleArn, options.region, options.account)).catch(() => undefined);
        running.add(run);
        void run.finally(() => running.delete(run));
      }, source.intervalMs),
    );
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
