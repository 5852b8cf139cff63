// The EMF lines Powertools Metrics writes to stdout, for the tests that assert what a function
// measures. Import this before the code under test: unit tests keep metrics off (unitEnv.ts) and
// Powertools reads the switch when a function's module loads.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_SERVICE_NAME = 'function-under-test';
// As Lambda (and the local runtime) sets it: Powertools counts cold starts only of on-demand environments.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';

export interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [member: string]: unknown;
}

/** One metric as a line states it: its unit, its dimensions (name -> value) and its values. */
export interface EmfMetric {
  name: string;
  unit: string;
  namespace: string;
  dimensions: Record<string, string>;
  values: number[];
}

/** The lines written while each test runs (stdout otherwise passes through untouched). */
export function captureEmf(): EmfLine[] {
  const lines: EmfLine[] = [];
  let restore: (() => void) | undefined;
  beforeEach(() => {
    lines.length = 0;
    const write = process.stdout.write.bind(process.stdout);
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.startsWith('{"_aws"')) return write(chunk, ...(rest as [BufferEncoding]));
      lines.push(...text.trim().split('\n').map((line) => JSON.parse(line) as EmfLine));
      return true;
    });
    restore = () => spy.mockRestore();
  });
  afterEach(() => restore?.());
  return lines;
}

/** Every metric of the lines, one entry per line it is on. */
export function metricsOf(lines: EmfLine[]): EmfMetric[] {
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) =>
      Metrics.map(({ Name, Unit }) => {
        const value = line[Name] as number | number[];
        return {
          name: Name,
          unit: Unit,
          namespace: Namespace,
          dimensions: Object.fromEntries((Dimensions[0] ?? []).map((dimension) => [dimension, String(line[dimension])])),
          values: Array.isArray(value) ? value : [value],
        };
      }),
    ),
  );
}

/** The metrics of one name, without `service` among their dimensions (each test's function has the same one). */
export function named(lines: EmfLine[], name: string): { dimensions: Record<string, string>; values: number[]; unit: string }[] {
  return metricsOf(lines)
    .filter((metric) => metric.name === name)
    .map(({ dimensions, values, unit }) => ({ dimensions: Object.fromEntries(Object.entries(dimensions).filter(([dimension]) => dimension !== 'service')), values, unit }));
}
