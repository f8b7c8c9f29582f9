import { firstDifference } from './generate.ts';

/** Where a method's output first differs from plain decoding's. */
export interface Divergence {
  /** 1-based turn. */
  turn: number;
  /** 0-based index of the first differing token id within that turn. */
  index: number;
}

/**
 * Compares token ids turn by turn with the AR reference of the same question; null when identical. A
 * turn present on one side only diverges at its index 0.
 */
export function compareWithReference(
  reference: ReadonlyArray<{ tokens: ArrayLike<number> }>,
  turns: ReadonlyArray<{ tokens: ArrayLike<number> }>,
): Divergence | null {
  const n = Math.max(reference.length, turns.length);
  for (let t = 0; t < n; t++) {
    if (t >= reference.length || t >= turns.length) return { turn: t + 1, index: 0 };
    const d = firstDifference(turns[t].tokens, reference[t].tokens);
    if (d >= 0) return { turn: t + 1, index: d };
  }
  return null;
}
