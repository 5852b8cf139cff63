import { EmfMetrics, emfData } from '../../src/console/emf';

/** A line as Powertools Metrics writes it at the end of an invocation (serializeMetrics). */
function powertoolsLine(metrics: Record<string, number | number[]>, options: { dimensions?: Record<string, string>; units?: Record<string, string>; timestamp?: number; highResolution?: string[] } = {}) {
  const dimensions = { service: 'order-api', ...options.dimensions };
  return JSON.stringify({
    _aws: {
      Timestamp: options.timestamp ?? 1_796_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'OrderCapture',
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
    expect(emfData(powertoolsLine({ OrdersPlaced: 3, TimeToFinal: 812.5 }, { units: { TimeToFinal: 'Milliseconds' }, highResolution: ['TimeToFinal'] }))).toEqual([
      { namespace: 'OrderCapture', name: 'OrdersPlaced', unit: 'Count', dimensions: { service: 'order-api' }, values: [3], timestamp: 1_796_000_000_000 },
      { namespace: 'OrderCapture', name: 'TimeToFinal', unit: 'Milliseconds', dimensions: { service: 'order-api' }, values: [812.5], timestamp: 1_796_000_000_000 },
    ]);
  });

  it('takes every value of a metric added more than once in an invocation (an array)', () => {
    expect(emfData(powertoolsLine({ CheckResults: [1, 1, 1] }))[0]?.values).toEqual([1, 1, 1]);
  });

  it('reports a metric once per dimension set, each with its own dimension values', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'OrderCapture', Dimensions: [['service'], ['service', 'reason']], Metrics: [{ Name: 'OrdersRejected', Unit: 'Count' }] }] },
      service: 'order-update',
      reason: 'INSUFFICIENT_CREDIT',
      OrdersRejected: 1,
    });
    expect(emfData(line).map((datum) => datum.dimensions)).toEqual([{ service: 'order-update' }, { service: 'order-update', reason: 'INSUFFICIENT_CREDIT' }]);
  });

  it('reads the cold start line Powertools writes with the function name as a dimension', () => {
    const line = powertoolsLine({ ColdStart: 1 }, { dimensions: { function_name: 'order-capture-OrderApiFunction' } });
    expect(emfData(line)).toMatchObject([{ name: 'ColdStart', dimensions: { service: 'order-api', function_name: 'order-capture-OrderApiFunction' } }]);
  });

  it('reads a metric without dimensions', () => {
    const line = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [], Metrics: [{ Name: 'Plain' }] }] }, Plain: 2 });
    expect(emfData(line)).toEqual([{ namespace: 'N', name: 'Plain', unit: 'None', dimensions: {}, values: [2], timestamp: 1 }]);
  });

  it('yields nothing for a directive CloudWatch would reject: a dimension that is missing or not a string, a value that is not a number', () => {
    const directive = (dimensions: string[][], metric = 'Orders') => ({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: dimensions, Metrics: [{ Name: metric, Unit: 'Count' }] }] } });
    expect(emfData(JSON.stringify({ ...directive([['service']]), Orders: 1 }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([['service']]), service: 7, Orders: 1 }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]), Orders: '1' }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]), Orders: [1, 'x'] }))).toEqual([]);
    expect(emfData(JSON.stringify({ ...directive([]) }))).toEqual([]);
  });

  it('ignores log lines that are not EMF: plain text, Powertools Logger records, broken JSON', () => {
    expect(emfData('START RequestId: 1 Version: $LATEST')).toEqual([]);
    expect(emfData(JSON.stringify({ level: 'INFO', message: 'order placed', service: 'order-api', CloudWatchMetrics: 'mentioned' }))).toEqual([]);
    expect(emfData('{"_aws":{"CloudWatchMetrics":[')).toEqual([]);
    expect(emfData(JSON.stringify({ _aws: { CloudWatchMetrics: [] } }))).toEqual([]);
  });
});

describe('EmfMetrics', () => {
  it('keeps one series per namespace, metric and dimension values, with its samples, sum, extremes, p99 and last value', () => {
    const metrics = new EmfMetrics();
    metrics.add('OrderApiFunction', powertoolsLine({ OrdersPlaced: 2 }, { timestamp: 10 }));
    metrics.add('OrderApiFunction', powertoolsLine({ OrdersPlaced: [1, 5] }, { timestamp: 20 }));
    metrics.add('OrderUpdateFunction', powertoolsLine({ OrdersPlaced: 4 }, { dimensions: { service: 'order-update' }, timestamp: 15 }));
    expect(metrics.list()).toEqual([
      { namespace: 'OrderCapture', name: 'OrdersPlaced', unit: 'Count', dimensions: { service: 'order-api' }, emittedBy: ['OrderApiFunction'], samples: 3, sum: 8, min: 1, max: 5, p99: 5, lastValue: 5, lastTimestamp: 20 },
      { namespace: 'OrderCapture', name: 'OrdersPlaced', unit: 'Count', dimensions: { service: 'order-update' }, emittedBy: ['OrderUpdateFunction'], samples: 1, sum: 4, min: 4, max: 4, p99: 4, lastValue: 4, lastTimestamp: 15 },
    ]);
  });

  it('treats the same dimensions in another order as the same series', () => {
    const metrics = new EmfMetrics();
    const line = (dimensions: string[]) =>
      JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [dimensions], Metrics: [{ Name: 'M' }] }] }, a: 'x', b: 'y', M: 1 });
    metrics.add('F', line(['a', 'b']));
    metrics.add('F', line(['b', 'a']));
    expect(metrics.list()).toHaveLength(1);
    expect(metrics.list()[0]?.samples).toBe(2);
  });

  it('keeps the value of the latest timestamp as the last value when lines arrive out of order', () => {
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
