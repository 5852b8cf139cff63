// A scheduled function: rate(), cron() and ScheduleV2 events, run by a clock thirty times faster
// than real time (a minute every two seconds), each run recorded by the function in a table.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { eventually, startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  app = await startFixture('scheduled', { scheduleSpeed: 30 });
}, 120_000);
afterAll(() => app?.stop());

const runs = async () => ((await app.db.send(new ScanCommand({ TableName: app.ref('RunsTable') }))).Items ?? []) as { rule: string; time: string }[];
const rule = (event: string) => `arn:aws:events:us-east-1:000000000000:rule/RecorderFunction${event}`;

describe('a scheduled function', () => {
  it('runs every schedule it can: rate() and cron() with a Scheduled Event, ScheduleV2 with its Input', async () => {
    const seen = await eventually(runs, (items) => ['EveryMinute', 'EveryMinuteByCron'].every((event) => items.filter((item) => item.rule === rule(event)).length >= 2) && items.some((item) => item.rule === 'input:every-other-minute'), 45_000);
    // cron() fires on whole minutes (UTC), as EventBridge does.
    for (const item of seen.filter((run) => run.rule === rule('EveryMinuteByCron'))) expect(item.time).toMatch(/T\d\d:\d\d:00Z$/);
    const minutes = seen.filter((run) => run.rule === rule('EveryMinuteByCron')).map((run) => Date.parse(run.time) / 60_000);
    expect(new Set(minutes).size).toBe(minutes.length);
  });

  it('lists every schedule, and says why one with a time zone does not run', () => {
    expect(app.stack.schedules.map(({ eventName, intervalMs, cron, notRunLocally }) => ({ eventName, intervalMs, cron, notRunLocally }))).toEqual([
      { eventName: 'EveryMinute', intervalMs: 60_000 },
      { eventName: 'EveryMinuteByCron', cron: 'cron(* * * * ? *)' },
      { eventName: 'EveryOtherMinute', cron: 'cron(0/2 * * * ? *)' },
      { eventName: 'Hourly', cron: 'cron(0 * * * ? *)' },
      { eventName: 'LocalMorning', notRunLocally: 'ScheduleExpressionTimezone Europe/Paris is not applied locally (only UTC is)' },
    ]);
    expect(app.stack.warnings).toContain('RecorderFunction.LocalMorning (cron(0 9 * * ? *)) does not run locally: ScheduleExpressionTimezone Europe/Paris is not applied locally (only UTC is)');
  });
});
