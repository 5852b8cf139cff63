// Order statistics over samples. Percentiles use the nearest-rank method, so every figure in a
// report is a latency that was actually observed rather than an interpolation between two.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export const round = (value: number, digits = 1): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
