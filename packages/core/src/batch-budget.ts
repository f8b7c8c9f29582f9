import { type CostCurve, costAt } from './cost-curve.ts';
import type { Draft } from './draft.ts';
import { TrbenchError } from './errors.ts';

/**
 * How the nodes of one batched forward are shared among the requests in flight.
 *
 * - `per-request`: every request drafts as it would at batch 1 (optionally capped at `maxNodesPerRequest`).
 * - `shared`: one node budget for the whole forward. With a cost curve t(N) (the forward's time with N nodes
 *   over all requests, measured on this model at this batch size), the drafts that pay are chosen: the
 *   requests are ranked by expected accepted drafts per extra node and the prefix of that ranking with the
 *   highest expected tokens per millisecond is kept, down to plain decoding (every draft dropped) when no
 *   draft pays. Without a cost curve every request is capped at `maxNodesPerRequest`.
 */
export type BatchBudget =
  | { policy: 'per-request'; maxNodesPerRequest?: number }
  | { policy: 'shared'; curve: CostCurve | null; maxNodesPerRequest?: number };

/**
 * t(N) from the curve: interpolated inside it, and past its largest size extended along its last segment
 * (never flat: a forward of more nodes than were measured is not assumed free).
 */
export function forwardCost(curve: CostCurve, n: number): number {
  const { sizes, ms } = curve;
  const last = sizes.length - 1;
  if (last < 1 || n <= sizes[last]) return costAt(curve, n);
  const slope = Math.max(0, (ms[last] - ms[last - 1]) / (sizes[last] - sizes[last - 1]));
  return ms[last] + slope * (n - sizes[last]);
}

/** Weight of the newest step in a request's running estimate of accepted drafts per drafted step. */
const GAIN_RATE = 0.2;
/** Pull of an undrafted request's estimate back toward the pooled mean, per step (so it is tried again). */
const RECOVERY_RATE = 0.1;

/**
 * Applies a {@link BatchBudget} to the drafts of one forward, slot by slot. It only truncates drafts, so
 * it never changes what a request generates (verification stays exact); its decisions depend only on
 * accepted lengths and the curve, so a run is deterministic given the curve.
 */
export class BatchBudgetAllocator {
  readonly budget: BatchBudget;
  /** Expected accepted drafts per drafted step, per slot. */
  private readonly gain: Float64Array;
  /** Candidate slots of the current forward, ranked. */
  private readonly order: Int32Array;
  private readonly keep: Uint8Array;
  private pooledSum = 0;
  private pooledSteps = 0;
  /** Nodes kept in the last forward (all slots, roots included). */
  lastNodes = 0;
  /** Drafts dropped by the last `apply` (the request then decodes one token). */
  lastDropped = 0;

  constructor(budget: BatchBudget, slots: number) {
    const cap = budget.maxNodesPerRequest;
    if (cap !== undefined && (!Number.isInteger(cap) || cap < 1))
      throw new TrbenchError(`batch budget maxNodesPerRequest must be an integer >= 1, got ${cap}`);
    if (budget.policy === 'shared' && !budget.curve && cap === undefined)
      throw new TrbenchError('the shared batch budget needs a cost curve t(N) or a per-request cap (maxNodesPerRequest)');
    if (budget.policy === 'shared' && budget.curve && budget.curve.sizes.length === 0)
      throw new TrbenchError('the shared batch budget got an empty cost curve');
    this.budget = budget;
    this.gain = new Float64Array(slots);
    this.order = new Int32Array(slots);
    this.keep = new Uint8Array(slots);
  }

  /** A new request entered `slot`: it starts from the pooled estimate (1 accepted draft before any data). */
  beginSlot(slot: number): void {
    this.gain[slot] = this.prior();
  }

  private prior(): number {
    return this.pooledSteps === 0 ? 1 : this.pooledSum / this.pooledSteps;
  }

  /** Truncates the drafts of the active slots (null = idle) to the budget. */
  apply(drafts: readonly (Draft | null)[]): void {
    const cap = this.budget.maxNodesPerRequest;
    let nodes = 0;
    this.lastDropped = 0;
    for (let s = 0; s < drafts.length; s++) {
      const d = drafts[s];
      if (!d) continue;
      if (cap !== undefined) d.truncateToCount(cap);
      nodes += d.count;
    }
    const budget = this.budget;
    if (budget.policy === 'shared' && budget.curve) nodes = this.choose(drafts, budget.curve);
    this.lastNodes = nodes;
  }

  /** Keeps the drafts whose expected tokens per millisecond pay for their nodes; returns the nodes kept. */
  private choose(drafts: readonly (Draft | null)[], curve: CostCurve): number {
    const { gain, order, keep } = this;
    let active = 0;
    let candidates = 0;
    for (let s = 0; s < drafts.length; s++) {
      const d = drafts[s];
      keep[s] = 0;
      if (!d) continue;
      active++;
      if (d.count > 1) order[candidates++] = s;
    }
    // Rank by expected accepted drafts per extra node; equal → lower slot first (deterministic).
    const ratio = (s: number) => gain[s] / ((drafts[s] as Draft).count - 1);
    for (let i = 1; i < candidates; i++) {
      const s = order[i];
      let j = i - 1;
      while (j >= 0 && ratio(order[j]) < ratio(s)) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = s;
    }
    // Expected tokens per ms with the first k candidates drafted: (active + Σ gain) / t(active + Σ extra).
    let bestK = 0;
    let bestRate = active / forwardCost(curve, active);
    let tokens = active;
    let nodes = active;
    for (let k = 1; k <= candidates; k++) {
      const s = order[k - 1];
      tokens += gain[s];
      nodes += (drafts[s] as Draft).count - 1;
      const rate = tokens / forwardCost(curve, nodes);
      if (rate > bestRate) {
        bestRate = rate;
        bestK = k;
      }
    }
    let kept = active;
    for (let k = 0; k < bestK; k++) keep[order[k]] = 1;
    for (let i = 0; i < candidates; i++) {
      const s = order[i];
      const d = drafts[s] as Draft;
      if (keep[s] === 1) kept += d.count - 1;
      else {
        d.truncateToCount(1);
        this.lastDropped++;
      }
    }
    return kept;
  }

  /**
   * After verification: `draftNodes` evaluated for the slot (1 = it decoded one token) and the drafts it
   * accepted. Only drafted steps teach the estimates; an undrafted slot drifts back toward the pooled mean.
   */
  observe(slot: number, draftNodes: number, acceptedDrafts: number): void {
    if (draftNodes > 1) {
      this.gain[slot] += GAIN_RATE * (acceptedDrafts - this.gain[slot]);
      this.pooledSum += acceptedDrafts;
      this.pooledSteps++;
    } else {
      this.gain[slot] += RECOVERY_RATE * (this.prior() - this.gain[slot]);
    }
  }
}
