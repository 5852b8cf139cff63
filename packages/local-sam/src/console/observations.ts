// What the console knows without asking an emulator: each function's invocations, errors and
// durations (from the function pools' observation hook) and the metrics the functions log as EMF.
// Both are kept from the stack's start, so a console opened later shows the whole run; neither
// costs more than a few operations per invocation or log line.
import type { InvocationRecord } from '../functions';
import type { LogSink } from '../logs';
import { EmfMetrics } from './emf';
import { RecentValues } from './sample';

export interface FunctionFigures {
  invocations: number;
  errors: number;
  /** Over the last 1000 invocations that ran. */
  p99DurationMs: number | undefined;
  lastErrorType?: string;
}

interface Figures {
  invocations: number;
  errors: number;
  durations: RecentValues;
  lastErrorType?: string;
}

export class Observations {
  readonly metrics = new EmfMetrics();
  private readonly figures = new Map<string, Figures>();

  /** The function pools' onInvocation hook. */
  readonly onInvocation = (record: InvocationRecord): void => {
    let figures = this.figures.get(record.functionLogicalId);
    if (!figures) {
      figures = { invocations: 0, errors: 0, durations: new RecentValues() };
      this.figures.set(record.functionLogicalId, figures);
    }
    figures.invocations += 1;
    if (record.durationMs !== undefined) figures.durations.add(record.durationMs);
    if (record.errorType) {
      figures.errors += 1;
      figures.lastErrorType = record.errorType;
    }
  };

  /** A sink that reads the functions' lines for EMF on their way to `next`. */
  sink(next: LogSink): LogSink {
    return (source, line, stream) => {
      this.metrics.add(source, line);
      next(source, line, stream);
    };
  }

  functions(): Record<string, FunctionFigures> {
    return Object.fromEntries(
      [...this.figures].map(([logicalId, { durations, ...figures }]) => [logicalId, { ...figures, p99DurationMs: durations.percentile(99) }]),
    );
  }
}
