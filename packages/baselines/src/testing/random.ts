import type { Rng } from '@trbench/core';

/** Uniform integer in [0, n) from the core's seeded PRNG (tests only). */
export function nextInt(rng: Rng, n: number): number {
  return Math.floor(rng.next() * n);
}
