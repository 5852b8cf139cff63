// Each guarantee runs at a fixed size that CI can afford, and bigger with GUARANTEES_SCALE=full
// (`npm run test:guarantees:full`). Same seeds either way.
export const FULL_SCALE = process.env.GUARANTEES_SCALE === 'full';

export const bySize = <T>(ci: T, full: T): T => (FULL_SCALE ? full : ci);
