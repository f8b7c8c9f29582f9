import type { HybridOptions } from './hybrid.ts';

/** The hybrid drafter's defaults: every piece on, sizes chosen for V = 32,000 … 128,256 and trees of ≤ 81 nodes. */
export const HYBRID_DEFAULTS: Readonly<Omit<HybridOptions, 'vocabSize' | 'cost'>> = {
  k: 8,
  maxNodes: 81,
  rows: true,
  pairs: true,
  pairSlots: 1 << 16,
  probs: true,
  local: true,
  global: true,
  maxCachedRequests: 100_000,
  suffixDepth: 32,
  longMatch: 5,
  suffixAlpha: 4,
  suffixMinProb: 0.05,
  logits: true,
  calibrate: true,
  sizing: true,
  minPathProb: 0.005,
};

/** Default t(n)/t(1) slope when no curve is measured (explicit and recorded: `cost: linear:<slope>`). */
export const DEFAULT_LINEAR_SLOPE = 0.05;
