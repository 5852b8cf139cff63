import { captureEmf, metricsOf, named } from '../support/emf';
import { lambdaContext } from '../support/factories';

type MetricsModule = typeof import('../../src/metrics');

/** A fresh copy of the module, as a new execution environment loads it. */
function freshEnvironment(): MetricsModule {
  let loaded: MetricsModule | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<MetricsModule>('../../src/metrics');
  });
  return loaded as MetricsModule;
}

const lines = captureEmf();
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const placedAgo = (ms: number) => ({ createdAt: new Date(NOW - ms).toISOString() });

beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.mocked(Date.now).mockRestore());

describe('the metrics every function writes', () => {
  it('counts a cold start once per execution environment, with the function’s name', async () => {
    const { publishingMetrics } = freshEnvironment();
    const handler = publishingMetrics(async () => 'done');
    await handler({}, lambdaContext('ShipOrderFunction'));
    await handler({}, lambdaContext('ShipOrderFunction'));
    expect(metricsOf(lines)).toEqual([
      { name: 'ColdStart', unit: 'Count', namespace: 'order-capture', dimensions: { service: 'function-under-test', function_name: 'ShipOrderFunction' }, values: [1] },
    ]);
  });

  it('writes what an invocation measured when it ends, in one line per combination of dimensions, every value in it', async () => {
    const { orderMetrics, publishingMetrics } = freshEnvironment();
    let writtenBeforeTheEnd = -1;
    const handler = publishingMetrics(async () => {
      orderMetrics.rejected('insufficient-stock', placedAgo(1000));
      orderMetrics.rejected('no-account', placedAgo(2000));
      orderMetrics.rejected('insufficient-stock', placedAgo(3000));
      orderMetrics.shippingTransactionRetried();
      writtenBeforeTheEnd = lines.length;
    });
    await handler({}, lambdaContext());
    expect(writtenBeforeTheEnd).toBe(1); // the cold start, which Powertools writes at once
    const written = metricsOf(lines).filter((metric) => metric.name !== 'ColdStart');
    expect(written).toEqual(
      expect.arrayContaining([
        { name: 'OrdersRejected', unit: 'Count', namespace: 'order-capture', dimensions: { service: 'function-under-test', Reason: 'insufficient-stock' }, values: [1, 1] },
        { name: 'OrdersRejected', unit: 'Count', namespace: 'order-capture', dimensions: { service: 'function-under-test', Reason: 'no-account' }, values: [1] },
        { name: 'TimeToFinalState', unit: 'Milliseconds', namespace: 'order-capture', dimensions: { service: 'function-under-test', Outcome: 'rejected' }, values: [1000, 2000, 3000] },
        { name: 'ShippingTransactionRetries', unit: 'Count', namespace: 'order-capture', dimensions: { service: 'function-under-test' }, values: [1] },
      ]),
    );
    expect(written).toHaveLength(4);
    expect(lines).toHaveLength(1 + 4);
  });

  it('writes what an invocation measured also when it fails', async () => {
    const { orderMetrics, publishingMetrics } = freshEnvironment();
    const handler = publishingMetrics(async () => {
      orderMetrics.shipped(placedAgo(250));
      throw new Error('the batch could not report');
    });
    await expect(handler({}, lambdaContext())).rejects.toThrow('the batch could not report');
    expect(named(lines, 'OrdersShipped')).toEqual([{ dimensions: {}, values: [1], unit: 'Count' }]);
    expect(named(lines, 'TimeToFinalState')).toEqual([{ dimensions: { Outcome: 'shipped' }, values: [250], unit: 'Milliseconds' }]);
  });

  it('starts each invocation afresh: nothing of the previous one is written again', async () => {
    const { orderMetrics, publishingMetrics } = freshEnvironment();
    const handler = publishingMetrics(async (count: number) => orderMetrics.placed(count, { replayed: false }));
    await handler(2, lambdaContext());
    await handler(3, lambdaContext());
    expect(named(lines, 'OrdersPlaced').map(({ values }) => values)).toEqual([[2], [3]]);
  });

  it('writes no line, and no warning, for an invocation that measured nothing', async () => {
    const { publishingMetrics } = freshEnvironment();
    const handler = publishingMetrics(async () => 'nothing to count');
    await handler({}, lambdaContext());
    const warnings = jest.spyOn(process.stderr, 'write');
    lines.length = 0;
    await handler({}, lambdaContext());
    expect(lines).toEqual([]);
    expect(warnings).not.toHaveBeenCalled();
    warnings.mockRestore();
  });

  it('gives no time to final state for an order without a readable createdAt', async () => {
    const { orderMetrics, publishingMetrics } = freshEnvironment();
    await publishingMetrics(async () => orderMetrics.rejected('dead-lettered', { createdAt: 'unknown' }))({}, lambdaContext());
    expect(named(lines, 'OrdersRejected')).toEqual([{ dimensions: { Reason: 'dead-lettered' }, values: [1], unit: 'Count' }]);
    expect(named(lines, 'TimeToFinalState')).toEqual([]);
  });
});
