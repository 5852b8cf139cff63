import { rateIntervalMs, scheduledEvent, scheduleSources } from '../src/scheduler';
import type { FunctionDefinition } from '../src/functions';

describe('rateIntervalMs', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
  ])('reads %s', (expression, interval) => {
    expect(rateIntervalMs(expression)).toBe(interval);
  });

  it('does not run cron expressions', () => {
    expect(rateIntervalMs('cron(0 12 * * ? *)')).toBeUndefined();
  });
});

describe('scheduleSources', () => {
  const fn = (events: FunctionDefinition['events']) => ({ logicalId: 'Sweeper', events }) as FunctionDefinition;

  it('finds the enabled Schedule events of each function', () => {
    const sources = scheduleSources([
      fn({
        EveryMinute: { Type: 'Schedule', Properties: { Schedule: 'rate(1 minute)' } },
        Nightly: { Type: 'Schedule', Properties: { Schedule: 'cron(0 2 * * ? *)' } },
        Off: { Type: 'Schedule', Properties: { Schedule: 'rate(1 minute)', Enabled: false } },
        Jobs: { Type: 'SQS', Properties: {} },
      }),
    ]);
    expect(sources).toEqual([
      { functionLogicalId: 'Sweeper', eventName: 'EveryMinute', expression: 'rate(1 minute)', intervalMs: 60_000 },
      { functionLogicalId: 'Sweeper', eventName: 'Nightly', expression: 'cron(0 2 * * ? *)', cron: expect.objectContaining({ expression: 'cron(0 2 * * ? *)' }) },
    ]);
  });
});

describe('scheduledEvent', () => {
  it('looks like EventBridge’s Scheduled Event', () => {
    const event = scheduledEvent('arn:aws:events:us-east-1:000000000000:rule/r', 'us-east-1', '000000000000', new Date('2025-01-02T03:04:05.678Z'));
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2025-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/r'],
      detail: {},
    });
  });
});
