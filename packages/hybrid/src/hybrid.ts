import { type SpeculateOptions, type SuffixDraft, SuffixTree } from '@trbench/baselines';
import type { Acceptance, Draft, Drafter, Predictions, TokenHistory } from '@trbench/core';
import {
  Calibration,
  SOURCE_COUNT,
  SRC_GLOBAL_LONG,
  SRC_GLOBAL_SHORT,
  SRC_LOCAL_LONG,
  SRC_LOCAL_SHORT,
  SRC_LOGITS,
  SRC_PAIR,
  SRC_ROW,
} from './calibration.ts';
import type { CostModel } from './cost-model.ts';
import { PairRows } from './pair-rows.ts';
import { RecycledRows } from './recycled-rows.ts';
import { rowProbabilities } from './row-probs.ts';
import { BestFirstTree, ITEM_ROOT, NO_ITEM } from './tree-builder.ts';

/** The switches and sizes of the hybrid drafter; every piece can be turned off for an ablation. */
export interface HybridOptions {
  vocabSize: number;
  /** Candidates kept per recycled row (k). */
  k: number;
  /** Most nodes per step, root included. */
  maxNodes: number;
  /** Recycled rows keyed by the previous token (TR's matrix, with probabilities). */
  rows: boolean;
  /** Rows keyed by the last two tokens (hashed, fixed memory), falling back to the one-token row. */
  pairs: boolean;
  /** Slots of the two-token table (a power of two). */
  pairSlots: number;
  /** The stored top-k probabilities; off = a fixed prior by rank (TR's matrix keeps ids only). */
  probs: boolean;
  /** Retrieval spine from the per-request suffix tree (prompt + output). */
  local: boolean;
  /** ... and from the cross-request suffix tree of earlier outputs. */
  global: boolean;
  /** Outputs kept in the cross-request tree (FIFO). */
  maxCachedRequests: number;
  /** Suffix tree depth (longest match and continuation considered). */
  suffixDepth: number;
  /** A match at least this long counts as a long match (its own calibration row). */
  longMatch: number;
  /** SuffixDecoding's α: a match of m tokens drafts at most α·m tokens. */
  suffixAlpha: number;
  /** Suffix continuations below this empirical probability are not offered. */
  suffixMinProb: number;
  /** The last verified row's own top-k as candidates for the root's successor (LogitSpec). */
  logits: boolean;
  /** Online calibration of every source's estimates (per source × probability bucket). */
  calibrate: boolean;
  /** Choose the node count from the cost model each step; off = always grow to maxNodes. */
  sizing: boolean;
  /** Smallest path probability worth a node. */
  minPathProb: number;
  /** t(n)/t(1) of the backend. */
  cost: CostModel;
}

/** A prior by rank, used when probabilities are switched off (what an id-only matrix can say). */
const RANK_PRIOR = [0.5, 0.2, 0.1, 0.06, 0.04, 0.03, 0.02, 0.02];
const rankPrior = (r: number) => (r < RANK_PRIOR.length ? RANK_PRIOR[r] : 0.01);

/**
 * The hybrid drafter (issue 30): one tree per step, grown best-first by estimated path probability over
 * several sources, sized by the backend's cost curve.
 *
 * Sources, each a switch:
 * - recycled rows with probabilities (TR's matrix plus the verify distribution's top-k probabilities), and
 *   rows keyed by the last two tokens in a fixed hashed table, falling back to the one-token row;
 * - the retrieval spine: SuffixDecoding's suffix trees ({@link SuffixTree}, prompt + output of this request
 *   and a cross-request tree of earlier outputs), their continuation with empirical probabilities from counts;
 * - the last verified row's own top-k as candidates for the root's successor (LogitSpec's observation);
 * - online calibration: each source's raw estimate becomes the realised acceptance of its
 *   (source, probability bucket) cell.
 *
 * Each step it grows one tree best-first (equal tokens under the same parent merged), then keeps the first
 * n nodes that maximise (1 + Σ path probabilities) / (t(n)/t(1)); n = 1 is a plain step. The decode loop's
 * verifiers (greedy or sampling) decide what is accepted, so the method is lossless whatever it drafts.
 * Cross-request state (rows, calibration, the global tree) lives in the instance.
 */
export class HybridDrafter implements Drafter {
  readonly name = 'hybrid';
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  /** What drafted the last step: `hybrid`, or `none` for a plain step. */
  lastDraftSource = 'none';
  /** Nodes (root included) of the last proposal, and how many the tree had grown before sizing. */
  lastNodes = 1;
  lastGrown = 1;
  readonly calibration: Calibration;
  readonly rows: RecycledRows;
  readonly pairRows: PairRows | null;
  readonly cost: CostModel;
  private readonly o: HybridOptions;
  private readonly tree: BestFirstTree;
  private readonly local: SuffixTree | null;
  private readonly global: SuffixTree | null;
  private readonly speculation: SpeculateOptions;
  private readonly cached: number[] = [];
  private localSeq = -1;
  private globalSeq = -1;
  private localAppended = 0;
  private globalAppended = 0;
  // This step's suffix drafts and their child lists (item −1 = the root).
  private localDraft: SuffixDraft | null = null;
  private globalDraft: SuffixDraft | null = null;
  private localLong = false;
  private globalLong = false;
  private readonly localFirst: Int32Array;
  private readonly localNext: Int32Array;
  private readonly globalFirst: Int32Array;
  private readonly globalNext: Int32Array;
  // The last verified row (what predicted the root of the next step).
  private readonly lastIds: Int32Array;
  private readonly lastProbs: Float32Array;
  private lastValid = false;
  private rootPrev = -1;
  private proposed = 0;
  private readonly scratchProbs: Float32Array;
  private readonly onPath: Uint8Array;

  constructor(options: HybridOptions) {
    const o = options;
    if (!Number.isInteger(o.maxNodes) || o.maxNodes < 1) throw new RangeError(`hybrid maxNodes must be an integer >= 1, got ${o.maxNodes}`);
    if (o.cost.maxNodes < o.maxNodes) throw new RangeError(`hybrid cost model covers ${o.cost.maxNodes} nodes, need ${o.maxNodes}`);
    this.o = { ...o };
    this.maxDraftNodes = o.maxNodes;
    this.topK = o.k;
    this.cost = o.cost;
    this.calibration = new Calibration(o.calibrate);
    this.rows = new RecycledRows(o.vocabSize, o.k);
    this.pairRows = o.pairs ? new PairRows(o.pairSlots, o.k) : null;
    const suffixCap = Math.max(1, o.maxNodes - 1);
    this.local = o.local ? new SuffixTree(o.suffixDepth, suffixCap) : null;
    this.global = o.global ? new SuffixTree(o.suffixDepth, suffixCap) : null;
    this.speculation = { maxSpecTokens: suffixCap, alpha: o.suffixAlpha, offset: 0, minTokenProb: o.suffixMinProb, tree: true };
    this.localFirst = new Int32Array(suffixCap + 1);
    this.localNext = new Int32Array(suffixCap);
    this.globalFirst = new Int32Array(suffixCap + 1);
    this.globalNext = new Int32Array(suffixCap);
    const perNode = (o.rows || o.pairs ? o.k : 0) + 1;
    this.tree = new BestFirstTree(o.maxNodes, o.vocabSize, o.maxNodes * perNode + 2 * suffixCap + o.k + 16);
    this.tree.minPathProb = o.minPathProb;
    this.lastIds = new Int32Array(o.k);
    this.lastProbs = new Float32Array(o.k);
    this.scratchProbs = new Float32Array(o.k);
    this.onPath = new Uint8Array(o.maxNodes);
    this.params = {
      k: o.k,
      maxNodes: o.maxNodes,
      rows: o.rows,
      pairs: o.pairs,
      pairSlots: o.pairSlots,
      probs: o.probs,
      local: o.local,
      global: o.global,
      maxCachedRequests: o.maxCachedRequests,
      suffixDepth: o.suffixDepth,
      longMatch: o.longMatch,
      suffixAlpha: o.suffixAlpha,
      suffixMinProb: o.suffixMinProb,
      logits: o.logits,
      calibrate: o.calibrate,
      sizing: o.sizing,
      minPathProb: o.minPathProb,
      cost: o.cost.info,
      probabilities: 'softmax over the kept top-k (log-sum-exp when the engine gives it)',
      matrixBytes: this.rows.ids.byteLength * 2 + (this.pairRows ? this.pairRows.ids.byteLength * 2 + this.pairRows.slots * 8 : 0),
    };
  }

  beginRequest(history: TokenHistory): void {
    this.lastValid = false;
    if (this.local) {
      this.local.clear();
      this.localSeq = this.local.openSequence();
      this.local.extend(this.localSeq, history, 0, history.length);
      this.localAppended = history.length;
    }
    if (this.global) {
      this.globalSeq = this.global.openSequence();
      this.cached.push(this.globalSeq);
      const cap = this.o.maxCachedRequests;
      while (cap > 0 && this.cached.length > cap) this.global.removeSequence(this.cached.shift() as number);
      this.globalAppended = history.promptLength;
    }
  }

  propose(history: TokenHistory, draft: Draft): void {
    const o = this.o;
    const end = history.length;
    const root = history.at(end - 1);
    this.rootPrev = end >= 2 ? history.at(end - 2) : -1;
    this.localDraft = null;
    this.globalDraft = null;
    if (this.local) {
      const d = this.local.speculate(history, end, this.speculation);
      if (d.count > 0) {
        this.localDraft = d;
        this.localLong = d.matchLength >= o.longMatch;
        childLists(d, this.localFirst, this.localNext);
      }
    }
    if (this.global && this.cached.length > 0) {
      const d = this.global.speculate(history, end, this.speculation);
      if (d.count > 0) {
        this.globalDraft = d;
        this.globalLong = d.matchLength >= o.longMatch;
        childLists(d, this.globalFirst, this.globalNext);
      }
    }
    const tree = this.tree;
    tree.begin(root, this.localDraft ? ITEM_ROOT : NO_ITEM, this.globalDraft ? ITEM_ROOT : NO_ITEM);
    this.expand(0, this.rootPrev);
    for (;;) {
      const i = tree.pop();
      if (i < 0) break;
      this.expand(i, tree.tokens[tree.parent[i]]);
    }
    const grown = tree.count;
    const n = o.sizing ? this.cost.bestSize(tree.cumulative, grown) : grown;
    for (let i = 1; i < n; i++) draft.add(tree.tokens[i], tree.parent[i]);
    this.proposed = n;
    this.lastNodes = n;
    this.lastGrown = grown;
    this.lastDraftSource = n > 1 ? 'hybrid' : 'none';
  }

  /** Offers every source's children of tree node `i` (its token follows `prev`). */
  private expand(i: number, prev: number): void {
    const o = this.o;
    const tree = this.tree;
    const cal = this.calibration;
    const token = tree.tokens[i];
    tree.openGroup(i);
    // Recycled rows: the two-token row when the table has one, else the one-token row.
    let at = -1;
    let src = SRC_ROW;
    let ids: Int32Array = this.rows.ids;
    let probs: Float32Array = this.rows.probs;
    if (this.pairRows) {
      at = this.pairRows.rowOf(prev, token);
      if (at >= 0) {
        src = SRC_PAIR;
        ids = this.pairRows.ids;
        probs = this.pairRows.probs;
      }
    }
    if (at < 0 && o.rows) at = this.rows.rowOf(token);
    if (at >= 0) {
      for (let r = 0; r < o.k; r++) {
        const raw = o.probs ? probs[at + r] : ids[at + r] >= 0 ? rankPrior(r) : 0;
        if (raw > 0) tree.offer(ids[at + r], src, raw, cal.estimate(src, raw), NO_ITEM, NO_ITEM);
      }
    }
    // The retrieval spine: continuations of this node's suffix-draft item.
    const li = tree.localItem[i];
    const ld = this.localDraft;
    if (ld !== null && li !== NO_ITEM) {
      const s = this.localLong ? SRC_LOCAL_LONG : SRC_LOCAL_SHORT;
      const base = li < 0 ? 1 : ld.probs[li];
      for (let c = this.localFirst[li + 1]; c >= 0; c = this.localNext[c]) {
        const raw = base > 0 ? Math.min(1, ld.probs[c] / base) : 0;
        tree.offer(ld.tokens[c], s, raw, cal.estimate(s, raw), c, NO_ITEM);
      }
    }
    const gi = tree.globalItem[i];
    const gd = this.globalDraft;
    if (gd !== null && gi !== NO_ITEM) {
      const s = this.globalLong ? SRC_GLOBAL_LONG : SRC_GLOBAL_SHORT;
      const base = gi < 0 ? 1 : gd.probs[gi];
      for (let c = this.globalFirst[gi + 1]; c >= 0; c = this.globalNext[c]) {
        const raw = base > 0 ? Math.min(1, gd.probs[c] / base) : 0;
        tree.offer(gd.tokens[c], s, raw, cal.estimate(s, raw), NO_ITEM, c);
      }
    }
    // LogitSpec: the row that predicted the root also hints at the token after it.
    if (i === 0 && o.logits && this.lastValid) {
      for (let r = 0; r < o.k; r++) {
        const raw = o.probs ? this.lastProbs[r] : rankPrior(r);
        if (raw > 0) tree.offer(this.lastIds[r], SRC_LOGITS, raw, cal.estimate(SRC_LOGITS, raw), NO_ITEM, NO_ITEM);
      }
    }
    tree.closeGroup();
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void {
    const o = this.o;
    const n = draft.count;
    const tokens = draft.tokens;
    const parents = draft.parent;
    const onPath = this.onPath;
    onPath.fill(0, 0, n);
    for (let j = 0; j < acceptance.length; j++) onPath[acceptance.path[j]] = 1;
    // Calibration: a node was tried when its parent was accepted. Only when the draft is the one proposed
    // (the loop cuts a draft's depth near the end of the context, which renumbers nodes).
    if (o.calibrate && n === this.proposed) {
      const b = this.tree.buckets;
      for (let i = 1; i < n; i++) {
        if (onPath[parents[i]] === 0) continue;
        const hit = onPath[i] === 1;
        for (let s = 0; s < SOURCE_COUNT; s++) {
          const bucket = b[i * SOURCE_COUNT + s];
          if (bucket >= 0) this.calibration.record(s, bucket, hit);
        }
      }
    }
    // Recycled rows: every node's row, in node order (the last occurrence of a token wins, as TR's `last`).
    const probs = this.scratchProbs;
    const ids = predictions.topIds;
    const stride = predictions.k;
    if (o.rows || o.pairs || o.logits) {
      for (let i = 0; i < n; i++) {
        rowProbabilities(predictions, i, o.k, probs, 0);
        const idBase = i * stride;
        if (o.rows) this.rows.write(tokens[i], ids, idBase, probs, 0);
        if (this.pairRows) {
          const prev = i === 0 ? this.rootPrev : tokens[parents[i]];
          this.pairRows.write(prev, tokens[i], ids, idBase, probs, 0);
        }
      }
      const last = acceptance.path[acceptance.length - 1];
      rowProbabilities(predictions, last, o.k, this.lastProbs, 0);
      for (let r = 0; r < o.k; r++) this.lastIds[r] = ids[last * stride + Math.min(r, stride - 1)];
      this.lastValid = true;
    }
    this.sync(history);
  }

  endRequest(history: TokenHistory): void {
    this.sync(history);
    if (this.local) this.local.closeSequence(this.localSeq);
    if (this.global) this.global.closeSequence(this.globalSeq);
  }

  private sync(history: TokenHistory): void {
    const end = history.length;
    if (this.local) {
      this.local.extend(this.localSeq, history, this.localAppended, end);
      this.localAppended = end;
    }
    if (this.global) {
      this.global.extend(this.globalSeq, history, this.globalAppended, end);
      this.globalAppended = end;
    }
  }
}

/** First-child / next-sibling lists of a suffix draft (`first[parent + 1]`, parent −1 = the root). */
function childLists(d: SuffixDraft, first: Int32Array, next: Int32Array): void {
  first.fill(-1, 0, d.count + 1);
  // Backwards, so each list is in item order (the suffix tree's best-first order).
  for (let i = d.count - 1; i >= 0; i--) {
    const p = d.parents[i] + 1;
    next[i] = first[p];
    first[p] = i;
  }
}
