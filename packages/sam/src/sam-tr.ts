import type { Acceptance, Draft, Drafter, Predictions, RequestLimits, TokenHistory } from '@trbench/core';
import { TrbenchError } from '@trbench/core';
import { AdjacencyMatrix, type RankPath, TreeTemplate } from '@trbench/token-recycling';
import type { SuffixAutomaton } from './automaton.ts';
import { SamMatches } from './matches.ts';
import { SourceCounters } from './sources.ts';
import type { StaticCorpus } from './static-corpus.ts';

/**
 * The 61-node Token Recycling tree of SAM-Decoding[T] (authors' `samd/config/token_recycle.json` at 18c41f0)
 * as rank paths; normalised to BFS order it numbers its nodes exactly as the authors' adjacency list does.
 * Per depth 7/20/21/8/4 drafts.
 */
export const SAM_TR_TREE: readonly RankPath[] = [
  ...[0, 1, 2, 3, 4, 5, 6].map((r) => [r]),
  ...[0, 1, 2, 3, 4, 5].map((r) => [0, r]),
  ...[0, 1, 2, 3, 4].map((r) => [1, r]),
  [2, 0],
  [2, 1],
  [2, 2],
  [3, 0],
  [3, 1],
  [4, 0],
  [4, 1],
  [5, 0],
  [6, 0],
  [0, 0, 0],
  [0, 0, 1],
  [0, 0, 2],
  [0, 1, 0],
  [0, 1, 1],
  [0, 2, 0],
  [0, 2, 1],
  [0, 3, 0],
  [0, 4, 0],
  [1, 0, 0],
  [1, 0, 1],
  [1, 0, 2],
  [1, 1, 0],
  [1, 1, 1],
  [1, 2, 0],
  [1, 3, 0],
  [2, 0, 0],
  [2, 1, 0],
  [3, 0, 0],
  [4, 0, 0],
  [5, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 1, 0],
  [0, 1, 0, 0],
  [1, 0, 0, 0],
  [1, 0, 0, 1],
  [1, 1, 0, 0],
  [2, 0, 0, 0],
  [0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1],
  [0, 0, 1, 0, 0],
  [1, 0, 0, 0, 0],
];

/** The authors' defaults (`SamdConfig` at 18c41f0; TR's top-k is their `TOPK = 8`). */
export const SAM_TR_DEFAULTS = { nPredicts: 40, lenThreshold: 5, lenBias: 5, k: 8 } as const;

export interface SamTrOptions {
  vocabSize: number;
  /** The static automaton (an empty one = the authors' NullStaticSAM). */
  corpus: StaticCorpus;
  /** Chain length including the root (N = 40: 39 drafted tokens). */
  nPredicts?: number;
  /** A chain is drafted when max(l_dyn, l_static − lenBias) ≥ lenThreshold. */
  lenThreshold?: number;
  lenBias?: number;
  /** Recorded in `params` (the corpus file or `auto` / `none`). */
  corpusSpec?: string;
  /**
   * TR's tree when no chain is drafted; default the authors' 61-node tree. Another template (e.g. TR's
   * `chain:2`) is a deviation for machines where a 61-node verification costs far more than one token.
   */
  template?: TreeTemplate;
}

// Source indices into SourceCounters (DRAFT_SOURCES order).
const DYNAMIC = 0;
const STATIC = 1;
const TREE = 2;
const LABELS = ['sam-dynamic', 'sam-static', 'tr-tree'] as const;

/**
 * SAM-Decoding[T] (Hu et al., arXiv 2411.10666) as the authors' code at 18c41f0 runs it:
 * - a dynamic suffix automaton of prompt + output (one per request) and a static one of a corpus; each
 *   step looks the root (the pending bonus token) up in both: l_dyn, l_static − 5;
 * - if max(l_dyn, l_static − 5) ≥ 5: a chain of N = 40 tokens (root included) copied from after the FIRST
 *   occurrence of the matched suffix (dynamic wins ties; for the dynamic automaton first backed off to
 *   shorter suffixes while fewer than N tokens follow it), padded to N with token 0;
 * - otherwise Token Recycling's 61-node tree from the table token → the top-8 the model last predicted
 *   after it (trbench's {@link AdjacencyMatrix}); a token without a row leaves its children at token 0;
 * - the table is seeded from the prompt's prefill rows and updated at every fed position, chain steps
 *   (rejected tokens and pads) included, also on the step that ends the request; it lives across requests.
 * Pads (token 0 placeholders) are evaluated like the authors' but never verifiable: a pad is not a draft,
 * so it can never be accepted, even where id 0 is a real token.
 *
 * trbench's loop evaluates the last prompt token as the first root (the authors' prefill computes it), so
 * the first step looks that token up; from then on each root is the previous step's bonus, as theirs.
 */
export class SamTrDrafter implements Drafter {
  readonly name = 'sam-tr';
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions = true;
  /** The authors update the table before checking for the stop. */
  readonly observesStopInDrafts = true;
  readonly params: Readonly<Record<string, unknown>>;
  /** What drafted the last step: `sam-dynamic`, `sam-static` (chains) or `tr-tree`. */
  lastDraftSource = 'none';
  /** Steps and committed tokens per source, for the request in flight (cleared by beginRequest). */
  readonly request = new SourceCounters();
  /** The same over every request this drafter served. */
  readonly total = new SourceCounters();
  readonly matrix: AdjacencyMatrix;
  readonly template: TreeTemplate;
  private readonly hasRow: Uint8Array;
  private readonly matches: SamMatches;
  private readonly dynamic: SuffixAutomaton;
  private readonly corpus: StaticCorpus;
  private readonly nPredicts: number;
  private readonly lenThreshold: number;
  private readonly lenBias: number;
  private source = TREE;
  private lengthBefore = 0;

  constructor(options: SamTrOptions) {
    const nPredicts = options.nPredicts ?? SAM_TR_DEFAULTS.nPredicts;
    if (!Number.isInteger(nPredicts) || nPredicts < 1) throw new TrbenchError(`nPredicts must be an integer >= 1, got ${nPredicts}`);
    this.nPredicts = nPredicts;
    this.lenThreshold = options.lenThreshold ?? SAM_TR_DEFAULTS.lenThreshold;
    this.lenBias = options.lenBias ?? SAM_TR_DEFAULTS.lenBias;
    this.corpus = options.corpus;
    this.matches = new SamMatches(options.corpus);
    this.dynamic = this.matches.dynamic;
    this.template = options.template ?? new TreeTemplate('sam-tr-61', SAM_TR_TREE);
    this.topK = SAM_TR_DEFAULTS.k;
    this.template.assertFits(this.topK);
    this.matrix = new AdjacencyMatrix(options.vocabSize, this.topK);
    this.hasRow = new Uint8Array(options.vocabSize);
    this.maxDraftNodes = Math.max(this.template.nodes, nPredicts);
    this.params = {
      nPredicts,
      lenThreshold: this.lenThreshold,
      lenBias: this.lenBias,
      k: this.topK,
      tree: this.template.name,
      treeNodes: this.template.nodes,
      corpus: options.corpusSpec ?? options.corpus.name,
      staticTokens: options.corpus.tokens,
    };
  }

  beginRequest(history: TokenHistory, promptPredictions: Predictions | null, _sampling?: unknown, limits?: RequestLimits): void {
    if (!promptPredictions) throw new TrbenchError('sam-tr seeds its table from the prompt predictions of prefill');
    // Everything but the last prompt token, which is the first root (pending, as the authors' bonus token).
    this.matches.begin(history, (limits?.maxNewTokens ?? 256) + this.maxDraftNodes + 1);
    const ids = promptPredictions.topIds;
    const stride = promptPredictions.k;
    for (let i = 0; i < promptPredictions.count; i++) this.setRow(history.at(i), ids, i * stride);
    this.request.clear();
    this.lastDraftSource = 'none';
  }

  propose(history: TokenHistory, draft: Draft): void {
    this.lengthBefore = history.length;
    const root = draft.tokens[0];
    this.matches.lookup(root);
    const dyn = this.dynamic;
    const dynState = dyn.outState;
    const dynLength = dyn.outLength;
    const st = this.corpus.sam;
    const staticState = st.outState;
    const staticLength = st.outLength - this.lenBias;
    if (Math.max(dynLength, staticLength) >= this.lenThreshold) {
      if (dynLength >= staticLength) {
        this.source = DYNAMIC;
        this.chain(draft, dyn, this.backOff(dynState));
      } else {
        this.source = STATIC;
        this.chain(draft, st, staticState);
      }
    } else {
      this.source = TREE;
      this.tree(draft);
    }
    this.lastDraftSource = LABELS[this.source];
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void {
    const committed = history.length - this.lengthBefore;
    this.request.add(this.source, committed);
    this.total.add(this.source, committed);
    const tokens = draft.tokens;
    for (let j = 0; j < acceptance.length; j++) this.matches.commit(tokens[acceptance.path[j]]);
    const ids = predictions.topIds;
    const stride = predictions.k;
    for (let i = 0; i < draft.count; i++) this.setRow(tokens[i], ids, i * stride);
  }

  endRequest(): void {}

  private setRow(token: number, ids: Int32Array, offset: number): void {
    this.matrix.setRow(token, ids, offset);
    this.hasRow[token] = 1;
  }

  /** The authors' `to_anc`: shorter suffixes while fewer than N tokens follow the first occurrence. */
  private backOff(state: number): number {
    const dyn = this.dynamic;
    if (state === 0) return 0;
    const end = dyn.textLength;
    while (dyn.link[state] !== 0 && this.nPredicts > end - dyn.minEndpos[state]) state = dyn.link[state];
    return state;
  }

  /** Root + up to N − 1 tokens after the first occurrence of `state`'s substrings, padded to N. */
  private chain(draft: Draft, sam: SuffixAutomaton, state: number): void {
    const text = sam.text;
    const from = sam.minEndpos[state] + 1;
    const to = Math.min(sam.textLength, sam.minEndpos[state] + this.nPredicts - 1);
    let parent = 0;
    for (let k = from; k <= to; k++) parent = draft.add(text[k], parent);
    while (draft.count < this.nPredicts) parent = draft.add(0, parent, false);
  }

  /** The 61-node TR tree; children of a token without a row are pads (token 0, never accepted). */
  private tree(draft: Draft): void {
    const t = this.template;
    const m = this.matrix.data;
    const k = this.topK;
    const tokens = draft.tokens;
    for (let i = 1; i < t.nodes; i++) {
      const p = t.parent[i];
      const pt = tokens[p];
      if (this.hasRow[pt] === 1) draft.add(m[pt * k + t.rank[i]], p);
      else draft.add(0, p, false);
    }
  }
}
