// Reads CloudWatch embedded metric format (EMF) log lines, which Powertools Metrics writes (one
// JSON object per line with an `_aws.CloudWatchMetrics` section), into the series CloudWatch would
// make of them: one per namespace, metric name and set of dimension values. Generic: nothing here
// names a metric of this project.
import { RecentValues } from './sample';

/** The values one metric got for one dimension set in one log line. */
export interface EmfDatum {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  values: number[];
  timestamp: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The data points of one log line: none for a line that is not EMF. A directive that breaks the
 * format (a dimension that is not a string member, a metric without a numeric value) yields
 * nothing, as CloudWatch extracts no metric from it.
 */
export function emfData(line: string): EmfDatum[] {
  // Most lines are not EMF; this keeps them from being parsed.
  if (!line.startsWith('{') || !line.includes('"CloudWatchMetrics"')) return [];
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return [];
  }
  if (!isObject(root) || !isObject(root._aws) || !isNumber(root._aws.Timestamp) || !Array.isArray(root._aws.CloudWatchMetrics)) return [];
  const timestamp = root._aws.Timestamp;
  const data: EmfDatum[] = [];
  for (const directive of root._aws.CloudWatchMetrics as unknown[]) {
    if (!isObject(directive) || typeof directive.Namespace !== 'string' || !Array.isArray(directive.Dimensions) || !Array.isArray(directive.Metrics)) continue;
    const sets = directive.Dimensions.length === 0 ? [[]] : (directive.Dimensions as unknown[]);
    const dimensionSets = sets.map((set) => (Array.isArray(set) && set.every((key) => typeof key === 'string' && typeof root[key] === 'string') ? (set as string[]) : undefined));
    if (dimensionSets.some((set) => set === undefined)) continue;
    for (const metric of directive.Metrics as unknown[]) {
      if (!isObject(metric) || typeof metric.Name !== 'string') continue;
      const value = root[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || !values.every(isNumber)) continue;
      for (const set of dimensionSets as string[][]) {
        data.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: typeof metric.Unit === 'string' ? metric.Unit : 'None',
          dimensions: Object.fromEntries(set.map((key) => [key, root[key] as string])),
          values,
          timestamp,
        });
      }
    }
  }
  return data;
}

export interface MetricSeries {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** Which functions' logs it came from. */
  emittedBy: string[];
  samples: number;
  sum: number;
  min: number;
  max: number;
  p99: number | undefined;
  lastValue: number;
  lastTimestamp: number;
}

/** A function that puts a request id into a dimension would make a series per request. */
const MAX_SERIES = 500;

interface Series extends Omit<MetricSeries, 'emittedBy' | 'p99'> {
  emittedBy: Set<string>;
  recent: RecentValues;
}

/** Every series seen in the functions' log lines since the stack started. */
export class EmfMetrics {
  private readonly series = new Map<string, Series>();

  /** One log line of a function (source: its logical id). */
  add(source: string, line: string): void {
    for (const datum of emfData(line)) {
      const key = JSON.stringify([datum.namespace, datum.name, Object.entries(datum.dimensions).sort(([a], [b]) => a.localeCompare(b))]);
      let series = this.series.get(key);
      if (!series) {
        if (this.series.size >= MAX_SERIES) continue;
        const first = datum.values[0] as number;
        series = { namespace: datum.namespace, name: datum.name, unit: datum.unit, dimensions: datum.dimensions, emittedBy: new Set(), samples: 0, sum: 0, min: first, max: first, lastValue: first, lastTimestamp: 0, recent: new RecentValues() };
        this.series.set(key, series);
      }
      series.emittedBy.add(source);
      for (const value of datum.values) {
        series.samples += 1;
        series.sum += value;
        series.min = Math.min(series.min, value);
        series.max = Math.max(series.max, value);
        series.recent.add(value);
      }
      if (datum.timestamp >= series.lastTimestamp) {
        series.lastTimestamp = datum.timestamp;
        series.lastValue = datum.values[datum.values.length - 1] as number;
      }
    }
  }

  list(): MetricSeries[] {
    return [...this.series.values()]
      .map(({ recent, emittedBy, ...series }) => ({ ...series, emittedBy: [...emittedBy].sort(), p99: recent.percentile(99) }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)));
  }
}
