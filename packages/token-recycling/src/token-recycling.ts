import type { Acceptance, Draft, Drafter, Predictions, TokenHistory } from '@trbench/core';
import { TrbenchError } from '@trbench/core';
import { AdjacencyMatrix } from './matrix.ts';
import type { TreeTemplate } from './template.ts';

/** How rows are written when a token occurs at several nodes of one tree (or one prompt). */
export type DuplicateRule = 'last' | 'first';

export interface TokenRecyclingOptions {
  vocabSize: number;
  /** Candidates per token (matrix width). The paper's k = 8. */
  k: number;
  template: TreeTemplate;
  /** `last` (default): the last occurrence in BFS order wins; `first`: the first one does. */
  duplicateRule?: DuplicateRule;
  /** `all` (default, the paper): every tree node's row is overwritten; `accepted`: only the accepted path's. */
  updateScope?: 'all' | 'accepted';
  /** `hot` (default, the paper): the matrix lives across requests; `cold`: reset and seeded from each prompt. */
  start?: 'hot' | 'cold';
  /** sha256 of the target model, stored in saved matrices. */
  modelSha256: string;
  /** Matrix file to start from. */
  matrixIn?: string;
  /** Matrix file rewritten (atomically) at the end of every request. */
  matrixOut?: string;
}

/**
 * Token Recycling (Luo et al., arXiv 2408.08696), literally as the reference code runs it:
 * - draft: BFS over the static template, child = M[parent token][rank];
 * - after each verification: the row of every tree token (root and drafts, accepted or not) is overwritten
 *   with the top-k the model predicted at that node;
 * - on a request's final step the update is skipped when the stop falls inside the accepted drafts and
 *   made when the request ends at the bonus token (the decode loop calls `observe` accordingly);
 * - hot start: the matrix is never reset between requests.
 * Duplicates are resolved deterministically by applying rows in BFS order (`last`) or in reverse (`first`).
 */
export class TokenRecyclingDrafter implements Drafter {
  readonly name = 'tr';
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions: boolean;
  readonly params: Readonly<Record<string, unknown>>;
  readonly matrix: AdjacencyMatrix;
  readonly template: TreeTemplate;
  private readonly duplicateRule: DuplicateRule;
  private readonly updateScope: 'all' | 'accepted';
  private readonly cold: boolean;
  private readonly modelSha256: string;
  private readonly matrixOut?: string;

  constructor(options: TokenRecyclingOptions) {
    options.template.assertFits(options.k);
    this.template = options.template;
    this.matrix = new AdjacencyMatrix(options.vocabSize, options.k);
    this.maxDraftNodes = options.template.nodes;
    this.topK = options.k;
    this.duplicateRule = options.duplicateRule ?? 'last';
    this.updateScope = options.updateScope ?? 'all';
    this.cold = (options.start ?? 'hot') === 'cold';
    this.wantsPromptPredictions = this.cold;
    this.modelSha256 = options.modelSha256;
    this.matrixOut = options.matrixOut;
    if (options.matrixIn) this.matrix.load(options.matrixIn, options.modelSha256);
    this.params = {
      k: options.k,
      template: options.template.name,
      templateNodes: options.template.nodes,
      duplicateRule: this.duplicateRule,
      updateScope: this.updateScope,
      start: this.cold ? 'cold' : 'hot',
      matrixBytes: this.matrix.bytes,
      ...(options.matrixIn ? { matrixIn: options.matrixIn } : {}),
    };
  }

  beginRequest(history: TokenHistory, promptPredictions: Predictions | null): void {
    if (!this.cold) return;
    if (!promptPredictions) throw new TrbenchError('cold start needs the prompt predictions from prefill');
    this.matrix.clear();
    const rows = promptPredictions.count;
    const stride = promptPredictions.k;
    const ids = promptPredictions.topIds;
    if (this.duplicateRule === 'last') for (let i = 0; i < rows; i++) this.matrix.setRow(history.at(i), ids, i * stride);
    else for (let i = rows - 1; i >= 0; i--) this.matrix.setRow(history.at(i), ids, i * stride);
  }

  propose(_history: TokenHistory, draft: Draft): void {
    const t = this.template;
    const m = this.matrix.data;
    const k = this.matrix.k;
    const parent = t.parent;
    const rank = t.rank;
    const tokens = draft.tokens;
    // Template order is BFS, so each parent is already placed; node i of the template is node i of the draft.
    for (let i = 1; i < t.nodes; i++) {
      const p = parent[i];
      draft.add(m[tokens[p] * k + rank[i]], p);
    }
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance): void {
    const ids = predictions.topIds;
    const stride = predictions.k;
    const tokens = draft.tokens;
    const m = this.matrix;
    if (this.updateScope === 'accepted') {
      const path = acceptance.path;
      if (this.duplicateRule === 'last') for (let j = 0; j < acceptance.length; j++) m.setRow(tokens[path[j]], ids, path[j] * stride);
      else for (let j = acceptance.length - 1; j >= 0; j--) m.setRow(tokens[path[j]], ids, path[j] * stride);
      return;
    }
    const n = draft.count;
    if (this.duplicateRule === 'last') for (let i = 0; i < n; i++) m.setRow(tokens[i], ids, i * stride);
    else for (let i = n - 1; i >= 0; i--) m.setRow(tokens[i], ids, i * stride);
  }

  endRequest(): void {
    if (this.matrixOut) this.matrix.save(this.matrixOut, this.modelSha256);
  }
}
