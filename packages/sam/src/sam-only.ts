import type { Acceptance, Draft, Drafter, RequestLimits, TokenHistory } from '@trbench/core';
import { TrbenchError } from '@trbench/core';
import type { SuffixAutomaton } from './automaton.ts';
import { BestFirstHeap } from './best-first.ts';
import { SamMatches } from './matches.ts';
import { SourceCounters } from './sources.ts';
import type { StaticCorpus } from './static-corpus.ts';

/**
 * The authors' SAM-only defaults (`samd_sam_only`, 18c41f0): at most 60 nodes, α = 4, top-8 transitions
 * and 8 nodes per depth in the static tree; lenBias 0 as their run script passes it (their config's default is 5).
 */
export const SAM_ONLY_DEFAULTS = { maxPredicts: 60, alpha: 4, K: 8, lenBias: 0 } as const;

export interface SamOnlyOptions {
  corpus: StaticCorpus;
  maxPredicts?: number;
  alpha?: number;
  K?: number;
  lenBias?: number;
  corpusSpec?: string;
}

const DYNAMIC = 0;
const STATIC = 1;
const NONE = 3;
const LABELS = ['sam-dynamic', 'sam-static', 'tr-tree', 'none'] as const;

/**
 * SAM-Decoding without an auxiliary drafter (the paper's "SAM-Decoding" rows; authors' `samd_sam_only`):
 * - if l_dyn ≥ l_static − lenBias: a dynamic chain of n = min(maxPredicts, 1 + ⌊α·l_dyn⌋) nodes (root
 *   included) copied from after the first occurrence of the match, no back-off and no padding (shorter
 *   where the text ends; l_dyn = 0 gives the root alone, a plain step);
 * - else a static tree of n = min(maxPredicts, 1 + ⌊α·l_static⌋) nodes grown best-first over the static
 *   automaton: node probability = parent's × |endpos(child)| / |endpos(parent)|, children from each state's
 *   K most frequent transitions, at most K nodes per depth, equal probabilities in CPython heapq's order.
 * No state crosses requests (the static automaton is read-only; its match state restarts per request).
 */
export class SamOnlyDrafter implements Drafter {
  readonly name = 'sam';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  /** Observed on the final step too, so the per-source counters see every step (no state outlives a request). */
  readonly observesStopInDrafts = true;
  readonly params: Readonly<Record<string, unknown>>;
  lastDraftSource = 'none';
  readonly request = new SourceCounters();
  readonly total = new SourceCounters();
  private readonly matches: SamMatches;
  private readonly dynamic: SuffixAutomaton;
  private readonly corpus: StaticCorpus;
  private readonly maxPredicts: number;
  private readonly alpha: number;
  private readonly K: number;
  private readonly lenBias: number;
  private readonly heap: BestFirstHeap;
  private readonly perDepth: Int32Array;
  private source = NONE;
  private lengthBefore = 0;
  private counts: Int32Array | null = null;
  private topStart: Int32Array | null = null;
  private topEdges: Int32Array | null = null;

  constructor(options: SamOnlyOptions) {
    const d = SAM_ONLY_DEFAULTS;
    this.maxPredicts = options.maxPredicts ?? d.maxPredicts;
    this.alpha = options.alpha ?? d.alpha;
    this.K = options.K ?? d.K;
    this.lenBias = options.lenBias ?? d.lenBias;
    if (!Number.isInteger(this.maxPredicts) || this.maxPredicts < 1)
      throw new TrbenchError(`maxPredicts must be an integer >= 1, got ${this.maxPredicts}`);
    if (!Number.isInteger(this.K) || this.K < 1) throw new TrbenchError(`K must be an integer >= 1, got ${this.K}`);
    this.corpus = options.corpus;
    this.matches = new SamMatches(options.corpus);
    this.dynamic = this.matches.dynamic;
    this.maxDraftNodes = this.maxPredicts;
    this.heap = new BestFirstHeap(1 + this.maxPredicts * this.K);
    this.perDepth = new Int32Array(this.maxPredicts + 1);
    this.params = {
      maxPredicts: this.maxPredicts,
      alpha: this.alpha,
      K: this.K,
      lenBias: this.lenBias,
      corpus: options.corpusSpec ?? options.corpus.name,
      staticTokens: options.corpus.tokens,
    };
  }

  beginRequest(history: TokenHistory, _p: unknown, _s?: unknown, limits?: RequestLimits): void {
    this.matches.begin(history, (limits?.maxNewTokens ?? 256) + this.maxDraftNodes + 1);
    this.request.clear();
    this.lastDraftSource = 'none';
  }

  propose(history: TokenHistory, draft: Draft): void {
    this.lengthBefore = history.length;
    const root = draft.tokens[0];
    this.matches.lookup(root);
    const dyn = this.dynamic;
    const st = this.corpus.sam;
    const staticLength = st.outLength - this.lenBias;
    if (dyn.outLength >= staticLength) {
      const n = Math.min(this.maxPredicts, 1 + Math.trunc(dyn.outLength * this.alpha));
      const endpos = dyn.minEndpos[dyn.outState];
      const to = Math.min(dyn.textLength, endpos + n - 1);
      let parent = 0;
      for (let k = endpos + 1; k <= to; k++) parent = draft.add(dyn.text[k], parent);
      this.source = draft.count > 1 ? DYNAMIC : NONE;
    } else {
      this.source = STATIC;
      this.staticTree(draft, st.outState, Math.min(this.maxPredicts, 1 + Math.trunc(staticLength * this.alpha)));
    }
    this.lastDraftSource = LABELS[this.source];
  }

  observe(draft: Draft, _predictions: unknown, acceptance: Acceptance, history: TokenHistory): void {
    const committed = history.length - this.lengthBefore;
    this.request.add(this.source, committed);
    this.total.add(this.source, committed);
    for (let j = 0; j < acceptance.length; j++) this.matches.commit(draft.tokens[acceptance.path[j]]);
  }

  endRequest(): void {}

  /** The authors' `StaticSAM.gen_draft` (SAM-only): best-first, K per depth, n nodes at most. */
  private staticTree(draft: Draft, state: number, n: number): void {
    if (!this.counts) {
      this.counts = this.corpus.endposCounts();
      const top = this.corpus.topTransitions(this.K);
      this.topStart = top.start;
      this.topEdges = top.edges;
    }
    const cnt = this.counts;
    const start = this.topStart as Int32Array;
    const edges = this.topEdges as Int32Array;
    const sam = this.corpus.sam;
    const heap = this.heap;
    const perDepth = this.perDepth;
    perDepth.fill(0);
    heap.clear();
    heap.push(-1.0, draft.tokens[0], state, -1, 0);
    let placed = 0;
    while (placed !== n && heap.size !== 0) {
      heap.pop();
      const depth = heap.outDepth;
      if (perDepth[depth] + 1 > this.K) continue;
      perDepth[depth]++;
      // The first item popped is the root, already node 0 of the draft.
      const node = placed === 0 ? 0 : draft.add(heap.outToken, heap.outParent);
      placed++;
      if (placed === n) break;
      const s = heap.outState;
      const sum = cnt[s];
      if (sum === 0) continue; // the root state (an empty match) has no count to divide by
      const prob = heap.outKey;
      for (let i = start[s]; i < start[s + 1]; i++) {
        const e = edges[i];
        const child = sam.edgeTarget[e];
        heap.push(prob * (cnt[child] / sum), sam.edgeToken[e], child, node, depth + 1);
      }
    }
  }
}
