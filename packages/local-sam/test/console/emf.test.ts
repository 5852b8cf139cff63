import { EmfMetrics, emfData } from '../../src/console/emf';

/** A line as Powertools Metrics writes it at the end of an invocation (serializeMetrics). */
function powertoolsLine(metrics: Record<string, number | number[]>, options: { dimensions?: Record<string, string>; units?: Record<string, string>; timestamp?: number; highResolution?: string[] } = {}) {
  const dimensions = { service: 'ticket-api', ...options.dimensions };
  return JSON.stringify({
    _aws: {
      Timestamp: options.timestamp ?? 1_796_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'Helpdesk',
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(metrics).map((name) => ({ Name: name, Unit: options.units?.[name] ?? 'Count', ...(options.highResolution?.includes(name) ? { StorageResolution: 1 } : {}) })),
        },
      ],
    },
    ...dimensions,
    ...metrics,
  });
}

describe('emfData', () => {
  it('reads each metric of a Powertools line with its namespace, unit, dimension values and timestamp', () => {
    expect(emfData(powertoolsLine({ TicketsPlaced: 3, TimeToFinal: 812.5 }, { units: { TimeToFinal: 'Milliseconds' }, highResolution: ['TimeToFinal'] }))).toEqual([
      { namespace: 'Helpdesk', name: 'TicketsPlaced', unit: 'Count', dimensions: { service: 'ticket-api' }, values: [3], timestamp: 1_796_000_000_000 },
      { namespace: 'Helpdesk', name: 'TimeToFinal', unit: 'Milliseconds', dimensions: { service: 'ticket-api' }, values: [812.5], timestamp: 1_796_000_000_000 },
    ]);
  });

  it('takes every value of a metric added more than once in an invocation (an array)', () => {
    expect(emfData(powertoolsLine({ CheckResults: [1, 1, 1] }))[0]?.values).toEqual([1, 1, 1]);
  });

  it('reports a metric once per dimension set, each with its own dimension values', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Helpdesk', Dimensions: [['service'], ['service', 'reason']], Metrics: [{ Name: 'TicketsRejected', Unit: 'Count' }] }] },
      service: 'ticket-update',
      reason: 'INSUFFICIENT_CREDIT',
      TicketsRejected: 1,
    });
    expect(emfData(line).map((datum) => datum.dimensions)).toEqual([{ service: 'ticket-update' }, { service: 'ticket-update', reason: 'INSUFFICIENT_CREDIT' }]);
  });

  it('reads the cold start line Powertools writes with the function name as a dimension', () => {
    const line = powertoolsLine({ ColdStart: 1 }, { dimensions: { function_name: 'helpdesk-TicketApiFunction' } });
    expect(emfData(line)).toMatchObject([{ name: 'ColdStart', dimensions: { service: 'ticket-api', function_name: 'helpdesk-TicketApiFunction' } }]);
  });

  it('reads a metric without dimensions', () => {
    const line = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [], Metrics: [{ Name: 'Plain' }] }] }, Plain: 2 });
    expect(emfData(line)).toEqual([{ namespace: 'N', name: 'Plain', unit: 'None', dimensions: {}, values: [2], timestamp: 1 }]);
  });

  it('yields nothing for a directive CloudWatch would reject: a dimension that is missing or not a string, a value that is not a number', () => {
    const directive = (dimensions: string[][], metric = 'Tickets') => ({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: dimensions, Metrics: [{ Name: metric, Unit: 'Count' }] }] } });
    expect(emfData(JSON.stringify({ ...directive([['service']]), Tickets: 1 }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([['service']]), service: 7, Tickets: 1 }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]), Tickets: '1' }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]), Tickets: [1, 'x'] }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]) }))).toEqual([]);
  });

  it('ignores log lines that are not EMF: plain text, Powertools Logger records, broken JSON', () => {
    expect(emfData('START RequestId: 1 Version: $LATEST')).toEqual([]);
    expect(emfData(JSON.stringify({ level: 'INFO', message: 'ticket placed', service: 'ticket-api', CloudWatchMetrics: 'mentioned' }))).toEqual([]);
    expect(emfData('{"_aws":{"CloudWatchMetrics":[')).toEqual([]);
    expect(emfData(JSON.stringify({ _aws: { CloudWatchMetrics: [] } }))).toEqual([]);
  });
});

describe('EmfMetrics', () => {
  it('keeps one series per namespace, metric and dimension values, with its samples, sum, extremes, p99 and last value', () => {
    const metrics = new EmfMetrics();
    metrics.add('TicketApiFunction', powertoolsLine({ TicketsPlaced: 2 }, { timestamp: 10 }));
    metrics.add('TicketApiFunction', powertoolsLine({ TicketsPlaced: [1, 5] }, { timestamp: 20 }));
    metrics.add('TicketUpdateFunction', powertoolsLine({ TicketsPlaced: 4 }, { dimensions: { service: 'ticket-update' }, timestamp: 15 }));
    expect(metrics.list()).toEqual([
      { namespace: 'Helpdesk', name: 'TicketsPlaced', unit: 'Count', dimensions: { service: 'ticket-api' }, emittedBy: ['TicketApiFunction'], samples: 3, sum: 8, min: 1, max: 5, p99: 5, lastValue: 5, lastTimestamp: 20 },
      { namespace: 'Helpdesk', name: 'TicketsPlaced', unit: 'Count', dimensions: { service: 'ticket-update' }, emittedBy: ['TicketUpdateFunction'], samples: 1, sum: 4, min: 4, max: 4, p99: 4, lastValue: 4, lastTimestamp: 15 },
    ]);
  });

  it('treats the same dimensions in another ticket as the same series', () => {
    const metrics = new EmfMetrics();
    const line = (dimensions: string[]) =>
      JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [dimensions], Metrics: [{ Name: 'M' }] }] }, a: 'x', b: 'y', M: 1 });
    metrics.add('F', line(['a', 'b']));
    metrics.add('F', line(['b', 'a']));
    expect(metrics.list()).toHaveLength(1);
    expect(metrics.list()[0]?.samples).toBe(2);
  });

  it('keeps the value of the latest timestamp as the last value when lines arrive out of ticket', () => {
    const metrics = new EmfMetrics();
    metrics.add('F', powertoolsLine({ Depth: 7 }, { timestamp: 20 }));
    metrics.add('F', powertoolsLine({ Depth: 3 }, { timestamp: 10 }));
    expect(metrics.list()[0]).toMatchObject({ lastValue: 7, lastTimestamp: 20 });
  });

  it('stays empty for lines that carry no metrics', () => {
    const metrics = new EmfMetrics();
    metrics.add('F', JSON.stringify({ level: 'INFO', message: 'hello' }));
    expect(metrics.list()).toEqual([]);
  });

  it('stops adding series at 500, so a dimension with a value per request cannot fill memory', () => {
    const metrics = new EmfMetrics();
    for (let index = 0; index < 510; index += 1) metrics.add('F', powertoolsLine({ M: 1 }, { dimensions: { requestId: `r${index}` } }));
    expect(metrics.list()).toHaveLength(500);
  });
});
