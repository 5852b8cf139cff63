import { Observations } from '../../src/console/observations';
import { RecentValues } from '../../src/console/sample';

describe('RecentValues', () => {
  it('gives the nearest-rank percentile of the values kept', () => {
    const values = new RecentValues();
    for (let value = 1; value <= 100; value += 1) values.add(value);
    expect(values.percentile(99)).toBe(99);
    expect(values.percentile(50)).toBe(50);
    expect(values.percentile(100)).toBe(100);
  });

  it('keeps only the latest values once full', () => {
    const values = new RecentValues(3);
    for (const value of [100, 200, 1, 2, 3]) values.add(value);
    expect(values.size).toBe(3);
    expect(values.percentile(100)).toBe(3);
  });

  it('has no percentile without values', () => {
    expect(new RecentValues().percentile(99)).toBeUndefined();
  });
});

describe('Observations', () => {
  it('counts each function’s invocations and errors, its last error type and the p99 of its durations', () => {
    const observations = new Observations();
    for (let ms = 1; ms <= 100; ms += 1) observations.onInvocation({ functionLogicalId: 'CloseTicketFunction', durationMs: ms });
    observations.onInvocation({ functionLogicalId: 'CloseTicketFunction', durationMs: 3000, errorType: 'Sandbox.Timedout' });
    observations.onInvocation({ functionLogicalId: 'TicketApiFunction', errorType: 'Runtime.ExitError' });
    expect(observations.functions()).toEqual({
      CloseTicketFunction: { invocations: 101, errors: 1, lastErrorType: 'Sandbox.Timedout', p99DurationMs: 100 },
      TicketApiFunction: { invocations: 1, errors: 1, lastErrorType: 'Runtime.ExitError', p99DurationMs: undefined },
    });
  });

  it('reads the EMF lines of the logs it relays, and relays every line unchanged', () => {
    const observations = new Observations();
    const relayed: string[] = [];
    const sink = observations.sink((source, line, stream) => relayed.push(`${source}|${stream ?? ''}|${line}`));
    const emf = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['service']], Metrics: [{ Name: 'TicketsClosed', Unit: 'Count' }] }] }, service: 'close-ticket', TicketsClosed: 1 });
    sink('CloseTicketFunction', emf, 'stdout');
    sink('CloseTicketFunction', 'plain text', 'stderr');
    expect(relayed).toEqual([`CloseTicketFunction|stdout|${emf}`, 'CloseTicketFunction|stderr|plain text']);
    expect(observations.metrics.list()).toMatchObject([{ name: 'TicketsClosed', emittedBy: ['CloseTicketFunction'], samples: 1 }]);
  });
});
