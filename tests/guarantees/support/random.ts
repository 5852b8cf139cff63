// A seeded pseudo-random generator (mulberry32): the same seed gives the same scenario on every run.
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [min, max]. */
    int: (min: number, max: number): number => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    shuffle: <T>(items: readonly T[]): T[] => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
      }
      return copy;
    },
  };
}

export interface OrderMix {
  count: number;
  customers: readonly string[];
  products: readonly string[];
  /** At most this many products per order (at least one), each 1 to maxQty units. */
  maxProducts: number;
  maxQty: number;
  /** Each order's total, in cents, from the first to the second. */
  cents: [number, number];
}

/** Orders from random customers for random products, as a POST /order body each. */
export function randomOrders(random: ReturnType<typeof seededRandom>, mix: OrderMix) {
  return Array.from({ length: mix.count }, () => ({
    customerId: random.pick(mix.customers),
    items: random.shuffle(mix.products).slice(0, random.int(1, mix.maxProducts)).map((productId) => ({ productId, qty: random.int(1, mix.maxQty) })),
    totalAmount: random.int(...mix.cents) / 100,
  }));
}
