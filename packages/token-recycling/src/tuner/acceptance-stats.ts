import type { Acceptance, Draft, Drafter, Predictions, TokenHistory } from '@trbench/core';
import type { AcceptanceModel } from '../template.ts';
import type { TokenRecyclingDrafter } from '../token-recycling.ts';

/**
 * How often the rank-r candidate at depth d is accepted given that its parent was: the positional
 * acceptance statistics a static tree is optimised for (as in Sequoia).
 */
export class AcceptanceStats {
  readonly maxDepth: number;
  readonly k: number;
  readonly trials: Float64Array;
  readonly hits: Float64Array;

  constructor(maxDepth: number, k: number) {
    this.maxDepth = maxDepth;
    this.k = k;
    this.trials = new Float64Array((maxDepth + 1) * k);
    this.hits = new Float64Array((maxDepth + 1) * k);
  }

  record(depth: number, rank: number, accepted: boolean): void {
    if (depth > this.maxDepth || rank >= this.k) return;
    const i = depth * this.k + rank;
    this.trials[i]++;
    if (accepted) this.hits[i]++;
  }

  /** Observed rate, or NaN when (d, r) was never tried. */
  rate(depth: number, rank: number): number {
    if (depth > this.maxDepth || rank >= this.k) return Number.NaN;
    const i = depth * this.k + rank;
    return this.trials[i] > 0 ? this.hits[i] / this.trials[i] : Number.NaN;
  }

  /**
   * An acceptance model for tree growth: the observed rate with a one-trial pull towards the pooled rate of
   * the same rank (so rarely seen positions are not over-trusted); positions never tried take the rate of
   * the deepest tried depth of that rank, and ranks never tried get 0.
   */
  model(fallback?: AcceptanceStats): AcceptanceModel {
    const pooled = new Float64Array(this.k);
    for (let r = 0; r < this.k; r++) {
      let t = 0;
      let h = 0;
      for (let d = 1; d <= this.maxDepth; d++) {
        t += this.trials[d * this.k + r];
        h += this.hits[d * this.k + r];
      }
      pooled[r] = t > 0 ? h / t : 0;
    }
    return (depth, rank) => {
      if (rank >= this.k) return 0;
      const d = Math.min(depth, this.maxDepth);
      const i = d * this.k + rank;
      if (this.trials[i] > 0) return (this.hits[i] + pooled[rank]) / (this.trials[i] + 1);
      if (fallback) return fallback.model()(depth, rank);
      for (let e = d - 1; e >= 1; e--) {
        const j = e * this.k + rank;
        if (this.trials[j] > 0) return (this.hits[j] + pooled[rank]) / (this.trials[j] + 1);
      }
      return 0;
    };
  }

  toJSON(): { maxDepth: number; k: number; rates: Array<Array<number | null>>; trials: number[][] } {
    const rates: Array<Array<number | null>> = [];
    const trials: number[][] = [];
    for (let d = 1; d <= this.maxDepth; d++) {
      const r: Array<number | null> = [];
      const t: number[] = [];
      for (let k = 0; k < this.k; k++) {
        const v = this.rate(d, k);
        r.push(Number.isNaN(v) ? null : Math.round(v * 10000) / 10000);
        t.push(this.trials[d * this.k + k]);
      }
      rates.push(r);
      trials.push(t);
    }
    return { maxDepth: this.maxDepth, k: this.k, rates, trials };
  }
}

/**
 * Wraps a TR drafter and records, for every draft node whose parent was accepted, whether the node was
 * accepted too. Greedy verification only (it reads `acceptance.matched`).
 */
export class RecordingDrafter implements Drafter {
  readonly name: string;
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions: boolean;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(
    private readonly inner: TokenRecyclingDrafter,
    readonly stats: AcceptanceStats,
  ) {
    this.name = inner.name;
    this.maxDraftNodes = inner.maxDraftNodes;
    this.topK = inner.topK;
    this.wantsPromptPredictions = inner.wantsPromptPredictions;
    this.params = inner.params;
  }

  beginRequest(history: TokenHistory, promptPredictions: Predictions | null): void {
    this.inner.beginRequest(history, promptPredictions);
  }

  propose(history: TokenHistory, draft: Draft): void {
    this.inner.propose(history, draft);
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance): void {
    const t = this.inner.template;
    const matched = acceptance.matched;
    for (let i = 1; i < draft.count; i++) {
      if (matched[draft.parent[i]] === 1) this.stats.record(t.depth[i], t.rank[i], matched[i] === 1);
    }
    this.inner.observe(draft, predictions, acceptance);
  }

  endRequest(): void {
    this.inner.endRequest();
  }
}
