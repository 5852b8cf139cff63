// Makes the functions' structured (Powertools JSON) log lines readable in a terminal, each
// prefixed with the function's logical id, and gives the runtime's own messages the same shape.
import { format } from 'node:util';
import { emfData } from './console/emf';

export type LogSink = (source: string, line: string, stream?: 'stdout' | 'stderr') => void;

/** Keys every Powertools line repeats; the terminal view leaves them out. */
const NOISE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

const COLOURS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];
const colourOf = new Map<string, number>();

function prefix(source: string, colour: boolean): string {
  if (!colour) return `[${source}]`;
  if (!colourOf.has(source)) colourOf.set(source, COLOURS[colourOf.size % COLOURS.length] ?? 36);
  return `\u001b[${colourOf.get(source)}m[${source}]\u001b[0m`;
}

const scalar = (value: unknown): string => (typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value));

/** An EMF line (Powertools Metrics) -> `METRICS Name=value[,value] Unit ... (dimension=value ...)`, one part per dimension set. */
function readableMetrics(line: string): string | undefined {
  const data = emfData(line);
  if (data.length === 0) return undefined;
  const bySet = new Map<string, string[]>();
  for (const datum of data) {
    const dimensions = Object.entries(datum.dimensions).map(([key, value]) => `${key}=${scalar(value)}`).join(' ');
    const unit = datum.unit === 'None' || datum.unit === 'Count' ? '' : ` ${datum.unit}`;
    (bySet.get(dimensions) ?? bySet.set(dimensions, []).get(dimensions))?.push(`${datum.name}=${datum.values.join(',')}${unit}`);
  }
  return `METRICS ${[...bySet].map(([dimensions, metrics]) => `${metrics.join(' ')}${dimensions ? ` (${dimensions})` : ''}`).join('; ')}`;
}

/** One JSON log record -> `LEVEL message key=value ...`, an error's stack on the lines after; other text unchanged. */
export function readableLine(line: string): string {
  if (!line.startsWith('{')) return line;
  const metrics = readableMetrics(line);
  if (metrics) return metrics;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.message !== 'string' && typeof record.level !== 'string') return line;
  const details: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (NOISE.has(key) || value === undefined) continue;
    if (typeof value === 'object' && value !== null && 'stack' in value && typeof (value as { stack: unknown }).stack === 'string') {
      const error = value as { name?: string; message?: string; stack: string };
      details.push(`${key}=${scalar(`${error.name ?? 'Error'}: ${error.message ?? ''}`)}`);
      stack = `\n${error.stack.split('\n').slice(1).join('\n')}`;
    } else details.push(`${key}=${scalar(value)}`);
  }
  return [String(record.level ?? 'INFO'), String(record.message ?? ''), ...details].join(' ') + stack;
}

/** A sink that writes to this process's stdout/stderr, one prefixed line per line of output. */
export function terminalSink(colour = Boolean(process.stdout.isTTY)): LogSink {
  return (source, line, stream = 'stdout') => {
    const out = stream === 'stderr' ? process.stderr : process.stdout;
    for (const part of readableLine(line).split('\n')) out.write(`${prefix(source, colour)} ${part}\n`);
  };
}

/** The runtime's own messages, under the `local` prefix. */
export function runtimeLog(sink: LogSink) {
  return (...args: unknown[]) => sink('local', format(...args));
}
