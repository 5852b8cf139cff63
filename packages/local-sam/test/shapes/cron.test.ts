import { CronError, nextCronTime, parseCron } from '../../src/cron';
import { nextFireTime, scheduleSources, startSchedules, type SchedulerClock, type ScheduleSource } from '../../src/scheduler';
import type { FunctionDefinition } from '../../src/functions';

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, after: string) => {
  const time = nextCronTime(parseCron(expression), at(after));
  return time === undefined ? undefined : new Date(time).toISOString();
};

describe('EventBridge cron expressions (in UTC)', () => {
  it.each([
    // The examples of EventBridge's cron reference.
    ['cron(0 10 * * ? *)', '2026-03-04T10:00:00.000Z', '2026-03-05T10:00:00.000Z'],
    ['cron(15 12 * * ? *)', '2026-03-04T09:00:00.000Z', '2026-03-04T12:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2026-03-06T18:00:00.000Z', '2026-03-09T18:00:00.000Z'],
    ['cron(0 8 1 * ? *)', '2026-03-04T00:00:00.000Z', '2026-04-01T08:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2026-03-04T10:14:59.000Z', '2026-03-04T10:15:00.000Z'],
    ['cron(0/10 * ? * MON-FRI *)', '2026-03-07T10:00:00.000Z', '2026-03-09T00:00:00.000Z'],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-03-04T17:55:00.000Z', '2026-03-05T08:00:00.000Z'],
    ['cron(0 9 ? * 2#1 *)', '2026-03-04T00:00:00.000Z', '2026-04-06T09:00:00.000Z'],
    // The sam init cw-event template's schedule: every hour.
    ['cron(0 * * * ? *)', '2026-03-04T10:00:00.000Z', '2026-03-04T11:00:00.000Z'],
    ['cron(* * * * ? *)', '2026-03-04T10:00:30.500Z', '2026-03-04T10:01:00.000Z'],
    ['cron(1/10 * * * ? *)', '2026-03-04T10:11:00.000Z', '2026-03-04T10:21:00.000Z'],
    ['cron(0 0 L * ? *)', '2028-02-03T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['cron(0 0 LW * ? *)', '2026-05-01T00:00:00.000Z', '2026-05-29T00:00:00.000Z'],
    // 1 Aug 2026 is a Saturday: the nearest weekday inside the month is Monday the 3rd.
    ['cron(0 0 1W * ? *)', '2026-07-15T00:00:00.000Z', '2026-08-03T00:00:00.000Z'],
    // 15 Aug 2026 is a Saturday too: Friday the 14th.
    ['cron(0 0 15W * ? *)', '2026-08-04T00:00:00.000Z', '2026-08-14T00:00:00.000Z'],
    ['cron(0 0 ? * 6L *)', '2026-03-01T00:00:00.000Z', '2026-03-27T00:00:00.000Z'],
    ['cron(0 0 ? * L *)', '2026-03-04T00:00:00.000Z', '2026-03-07T00:00:00.000Z'],
    ['cron(30 6 29 FEB ? *)', '2026-01-01T00:00:00.000Z', '2028-02-29T06:30:00.000Z'],
    ['cron(0 12 25 DEC ? 2030-2031)', '2026-01-01T00:00:00.000Z', '2030-12-25T12:00:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('never fires again once its last year is over', () => {
    expect(next('cron(0 12 25 DEC ? 2025)', '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it.each([
    ['cron(0 12 * * *)', /six/],
    ['cron(0 12 * * * *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(0 12 ? * ? *)', /exactly one/],
    ['cron(60 12 * * ? *)', /Minutes 60 is not in 0-59/],
    ['cron(0 12 ? * 3#1,6#3 *)', /one expression/],
    ['cron(0 12 ? FOO * *)', /Month FOO/],
    ['rate(5 minutes)', /not a cron/],
  ])('refuses %s as EventBridge does', (expression, reason) => {
    expect(() => parseCron(expression)).toThrow(CronError);
    expect(() => parseCron(expression)).toThrow(reason);
  });
});

describe('schedules', () => {
  const fn = (events: FunctionDefinition['events']) => ({ logicalId: 'Job', events }) as FunctionDefinition;

  it('runs rate(), cron() and at() expressions, and names what it cannot run', () => {
    const sources = scheduleSources([
      fn({
        Rate: { Type: 'Schedule', Properties: { Schedule: 'rate(5 minutes)' } },
        Hourly: { Type: 'Schedule', Properties: { Schedule: 'cron(0 * * * ? *)', Input: '{"job":"hourly"}' } },
        Once: { Type: 'ScheduleV2', Properties: { ScheduleExpression: 'at(2030-01-01T00:00:00)' } },
        Paris: { Type: 'ScheduleV2', Properties: { ScheduleExpression: 'cron(0 9 * * ? *)', ScheduleExpressionTimezone: 'Europe/Paris' } },
        Broken: { Type: 'Schedule', Properties: { Schedule: 'cron(0 9 * * * *)' } },
        Off: { Type: 'ScheduleV2', Properties: { ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' } },
      }),
    ]);
    const byName = Object.fromEntries(sources.map((source) => [source.eventName, source]));
    expect(Object.keys(byName)).toEqual(['Rate', 'Hourly', 'Once', 'Paris', 'Broken']);
    expect(byName.Rate?.intervalMs).toBe(300_000);
    expect(byName.Hourly?.input).toEqual({ job: 'hourly' });
    expect(nextFireTime(byName.Hourly as ScheduleSource, at('2026-03-04T10:20:00Z'), 0)).toBe(at('2026-03-04T11:00:00Z'));
    expect(nextFireTime(byName.Once as ScheduleSource, at('2026-03-04T10:20:00Z'), 0)).toBe(at('2030-01-01T00:00:00Z'));
    expect(byName.Paris?.notRunLocally).toMatch(/Europe\/Paris is not applied locally/);
    expect(byName.Broken?.notRunLocally).toMatch(/exactly one/);
  });

  it('fires a cron schedule at its times, by the clock it is given', async () => {
    jest.useFakeTimers({ now: at('2026-03-04T10:58:30Z') });
    try {
      const clock: SchedulerClock = { now: () => Date.now(), setTimeout: (run, ms) => setTimeout(run, ms) };
      const [hourly] = scheduleSources([fn({ Hourly: { Type: 'Schedule', Properties: { Schedule: 'cron(0 * * * ? *)' } } })]);
      const events: { time: string; resources: string[] }[] = [];
      const scheduler = startSchedules([hourly as ScheduleSource], {
        region: 'eu-west-1',
        account: '000000000000',
        clock,
        invoke: async (_source, event) => void events.push(event as { time: string; resources: string[] }),
      });
      await jest.advanceTimersByTimeAsync(90_000);
      expect(events.map((event) => event.time)).toEqual(['2026-03-04T11:00:00Z']);
      await jest.advanceTimersByTimeAsync(2 * 3_600_000);
      expect(events.map((event) => event.time)).toEqual(['2026-03-04T11:00:00Z', '2026-03-04T12:00:00Z', '2026-03-04T13:00:00Z']);
      expect(events[0]?.resources).toEqual(['arn:aws:events:eu-west-1:000000000000:rule/JobHourly']);
      await scheduler.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
