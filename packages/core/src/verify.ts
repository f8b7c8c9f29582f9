import type { Draft } from './draft.ts';
import type { Predictions } from './predictions.ts';

/** Result of verifying one draft. */
export class Acceptance {
  /** Accepted node indices, root first; `length` entries are valid. */
  readonly path: Int32Array;
  /** Nodes on the accepted path, root included (= accepted drafts + 1). */
  length = 0;
  /** The model's prediction after the last accepted node: the next root. */
  bonusToken = 0;
  /** Per-node match flags of the last verification (1 = on a fully matching chain from the root). */
  readonly matched: Uint8Array;

  constructor(capacity: number) {
    this.path = new Int32Array(capacity);
    this.matched = new Uint8Array(capacity);
  }

  /** Index of the last accepted node. */
  get lastNode(): number {
    return this.path[this.length - 1];
  }
}

/**
 * Greedy verification. A verifiable node matches when its parent matches and its token equals the
 * argmax predicted after its parent; the root always matches. The deepest matching node wins; among
 * equally deep ones, the first in draft order. When siblings carry distinct tokens (the normal case)
 * this is exactly "walk from the root, first child in draft order whose token equals the argmax"; with
 * duplicate siblings it still finds the longest matching path, as Token Recycling's path search does.
 */
export function verifyGreedy(draft: Draft, predictions: Predictions, out: Acceptance): void {
  const n = draft.count;
  const matched = out.matched;
  const parent = draft.parent;
  const tokens = draft.tokens;
  const depth = draft.depth;
  const verifiable = draft.verifiable;
  const argmax = predictions.argmax;
  matched[0] = 1;
  let best = 0;
  let bestDepth = 0;
  for (let i = 1; i < n; i++) {
    const p = parent[i];
    const ok = verifiable[i] === 1 && matched[p] === 1 && tokens[i] === argmax[p];
    matched[i] = ok ? 1 : 0;
    if (ok && depth[i] > bestDepth) {
      best = i;
      bestDepth = depth[i];
    }
  }
  const len = bestDepth + 1;
  for (let node = best, j = len - 1; j >= 0; j--, node = parent[node]) out.path[j] = node;
  out.length = len;
  out.bonusToken = argmax[best];
}
