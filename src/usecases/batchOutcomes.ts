// Each item of a batch (a queue message, a check result, a shipment request) paired with its
// outcome by the item itself, never by its position, so that no reordering or filtering of a batch
// can give one item another's outcome. Every queue consumer and the use cases behind them use it.

/** What became of one item: what it did, or why it failed (then it is retried). */
export type Outcome<Value> = PromiseSettledResult<Value>;

export class BatchOutcomes<Item, Value> {
  readonly #settled = new Map<Item, Outcome<Value>>();

  constructor(readonly items: readonly Item[]) {}

  succeed(item: Item, value: Value): void {
    this.#settled.set(item, { status: 'fulfilled', value });
  }

  fail(item: Item, reason: unknown): void {
    this.#settled.set(item, { status: 'rejected', reason });
  }

  /**
   * Fails each item whose message could not be sent. `unsent` is a sending port's answer (for each
   * message, in the order given, undefined once sent or why not), for the items sent in this order:
   * the one place a positional answer is read.
   */
  failUnsent(sent: readonly Item[], unsent: readonly (Error | undefined)[]): void {
    sent.forEach((item, index) => {
      const failure = unsent[index];
      if (failure) this.fail(item, failure);
    });
  }

  /** The item's outcome; undefined while it has none. */
  get(item: Item): Outcome<Value> | undefined {
    return this.#settled.get(item);
  }

  /** Every item with its outcome, in the batch's order; an item left without one has failed. */
  entries(): [Item, Outcome<Value>][] {
    return this.items.map((item) => [item, this.#settled.get(item) ?? { status: 'rejected', reason: new Error('no outcome was recorded for this item') }]);
  }

  /** Every item's outcome, in the batch's order. */
  inOrder(): Outcome<Value>[] {
    return this.entries().map(([, outcome]) => outcome);
  }
}
