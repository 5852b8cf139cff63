// A bounded sample of a figure's latest values, for its percentiles: a long run keeps the same
// memory, and the percentile describes recent behaviour rather than the whole run.
export class RecentValues {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity = 1000) {}

  add(value: number): void {
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.values.length;
  }

  /** The nearest-rank percentile (0 < p <= 100) of the values kept; undefined when there are none. */
  percentile(p: number): number | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
  }
}
