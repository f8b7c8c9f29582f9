import {
  Draft,
  type Drafter,
  Predictions,
  ProcessedDistribution,
  ProposalDistributions,
  Rng,
  type SamplingOptions,
  type TargetModel,
  type TokenHistory,
  TrbenchError,
} from '@trbench/core';

/**
 * The shape of a draft tree: node 0 is the root; node i ≥ 1 is the `rank[i]`-th candidate after node
 * `parent[i]`, at depth `depth[i]`. Nodes are in BFS order (by depth, siblings by increasing rank), as
 * Token Recycling's `TreeTemplate` keeps them, so that type fits here as is.
 */
export interface SpsTreeShape {
  readonly name: string;
  readonly nodes: number;
  readonly parent: Int32Array;
  readonly rank: Int32Array;
  readonly depth: Int32Array;
  readonly maxRank: number;
  readonly maxDepth: number;
}

export interface SpsOptions {
  /** Draft tokens per step in chain mode (default 4). Ignored when `tree` is set. */
  gamma: number;
  /** A tree of the draft model's own top-k predictions (greedy) or draws (sampling); null = a chain of `gamma`. */
  tree: SpsTreeShape | null;
  /** Vocabulary size of the target: the draft model must have the same vocabulary. */
  vocabSize: number;
  /** What the records call the draft model (its spec). */
  draftModelLabel: string;
  /** sha256 of the draft model's weights (recorded with the drafter's parameters). */
  draftSha256?: string;
}

export const SPS_DEFAULTS = { gamma: 4 } as const;

/**
 * Draft tokens of the pending chain (accepted tokens the draft model has not seen, then the root) one
 * forward may take; anything older is prefilled first. A chain step leaves at most x_γ + bonus pending,
 * a tree step at most the accepted path + bonus.
 */
function catchUpLimit(options: Pick<SpsOptions, 'tree'>): number {
  return options.tree ? options.tree.maxDepth + 1 : 2;
}

/** Draft size and top-k width the draft model must be opened for. */
export function spsDraftModelRequirements(options: Pick<SpsOptions, 'gamma' | 'tree'>): { maxDraftNodes: number; topK: number } {
  const catchUp = catchUpLimit(options);
  if (options.tree) return { maxDraftNodes: catchUp - 1 + options.tree.nodes, topK: options.tree.maxRank + 1 };
  return { maxDraftNodes: catchUp, topK: 1 };
}

/** Largest target draft (root included) of these options. */
export function spsMaxDraftNodes(options: Pick<SpsOptions, 'gamma' | 'tree'>): number {
  return options.tree ? options.tree.nodes : options.gamma + 1;
}

/**
 * Classic speculative decoding with a draft model (SpS: Leviathan et al. 2023, Chen et al. 2023): a second,
 * smaller model proposes, the target verifies in one forward.
 *
 * The draft model's KV cache follows the committed sequence exactly. Each step first syncs it with the
 * request's history: drafts the target rejected are rolled back (`truncate` to the longest prefix that
 * still agrees), and the pending tokens (those accepted but never fed to the draft model, then the root)
 * are fed in one forward. Then
 * - chain (`gamma`): one forward per draft token, each committed at once, so the draft model ends the step
 *   holding root + x₁ … x_{γ−1}; all accepted → next step feeds x_γ and the bonus together;
 * - tree: level by level, each forward evaluates the pending chain and the tree so far (tree attention on
 *   the draft model), the rank-r child of a node being the draft's r-th best token there (greedy) or its
 *   r-th draw without replacement (sampling); only the pending chain is committed.
 * Greedy drafts are the draft model's argmax / top-k. With sampling, tokens are drawn from the draft's
 * processed distribution q (the request's temperature, top-k and top-p) with a PRNG stream of its own, and
 * each node's q is attached to the draft (`Draft.proposals`) for the verifier's min(1, p/q) rule.
 *
 * Every draft-model forward happens in `propose`, so the decode loop's draft time is the draft model's
 * cost; the prompt prefill of the draft model happens in `beginRequest` (the loop's prefill time).
 */
export class SpsDrafter implements Drafter {
  readonly name = 'sps';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  readonly draftModel: TargetModel;
  private readonly gamma: number;
  private readonly tree: SpsTreeShape | null;
  private readonly catchUp: number;
  private readonly contextSize: number;
  /** The draft model's own draft (pending chain + tree) and predictions. */
  private readonly dd: Draft;
  private readonly ddPredictions: Predictions;
  /** Tokens in the draft model's KV cache, by position. */
  private readonly mirror: Int32Array;
  /** Positions of `mirror` known to equal the request's history. */
  private stable = 0;
  /** 0, 1, 2, …: commit paths of chains. */
  private readonly chainPath: Int32Array;
  /** Tree mode: node of the draft model's draft / of the target draft for each tree-shape node (-1 = skipped). */
  private readonly ddIndex: Int32Array;
  private readonly targetIndex: Int32Array;
  private sampling: SamplingOptions | null = null;
  private readonly rng = new Rng(0);
  private readonly q: ProcessedDistribution;
  private readonly proposals: ProposalDistributions;
  private readonly scratch: Int32Array;

  constructor(draftModel: TargetModel, options: SpsOptions) {
    const { gamma, tree } = options;
    if (!tree && (!Number.isInteger(gamma) || gamma < 1)) throw new TrbenchError(`sps gamma must be an integer >= 1, got ${gamma}`);
    const draftVocab = draftModel.info.vocabSize;
    if (draftVocab !== options.vocabSize) {
      throw new TrbenchError(
        `draft model ${draftModel.info.name} has a vocabulary of ${draftVocab} tokens, the target ${options.vocabSize}: they must share one tokenizer`,
      );
    }
    const needs = spsDraftModelRequirements(options);
    if (draftModel.maxDraftNodes < needs.maxDraftNodes || draftModel.topK < needs.topK) {
      throw new TrbenchError(
        `draft model ${draftModel.info.name} was opened for ${draftModel.maxDraftNodes} nodes / top-${draftModel.topK}; sps needs ${needs.maxDraftNodes} / top-${needs.topK}`,
      );
    }
    if (!tree && !draftModel.truncate) {
      throw new TrbenchError(`backend ${draftModel.backend.name} cannot roll back its cache (truncate), so it cannot run a draft chain`);
    }
    this.draftModel = draftModel;
    this.gamma = gamma;
    this.tree = tree;
    this.catchUp = catchUpLimit(options);
    this.maxDraftNodes = spsMaxDraftNodes(options);
    this.contextSize = draftModel.info.contextSize;
    this.dd = new Draft(needs.maxDraftNodes);
    this.ddPredictions = new Predictions(needs.maxDraftNodes, draftModel.topK);
    this.mirror = new Int32Array(this.contextSize + needs.maxDraftNodes);
    this.scratch = new Int32Array(this.contextSize);
    this.chainPath = Int32Array.from({ length: needs.maxDraftNodes }, (_, i) => i);
    const treeNodes = tree ? tree.nodes : 1;
    this.ddIndex = new Int32Array(treeNodes);
    this.targetIndex = new Int32Array(treeNodes);
    this.q = new ProcessedDistribution(draftVocab);
    this.proposals = new ProposalDistributions(this.maxDraftNodes, draftVocab);
    const identity = { draftModel: options.draftModelLabel, draftSha256: options.draftSha256 ?? draftModel.info.sha256 };
    this.params = tree ? { ...identity, tree: tree.name, treeNodes: tree.nodes } : { ...identity, gamma };
  }

  beginRequest(history: TokenHistory, _promptPredictions: Predictions | null, sampling?: SamplingOptions | null): void {
    this.sampling = sampling ?? null;
    if (this.sampling) {
      if (!this.draftModel.nodeLogits)
        throw new TrbenchError(`draft model backend ${this.draftModel.backend.name} cannot sample: it does not expose node logits`);
      // Its own stream: the verifier's uniforms must be independent of the draws they judge.
      this.rng.reseed((this.sampling.seed ^ 0x5bd1e995) >>> 0);
    }
    const model = this.draftModel;
    const L = history.length;
    if (L > this.contextSize) throw new TrbenchError(`the prompt has ${L} tokens but the draft model's context holds ${this.contextSize}`);
    model.reset();
    // As the target: everything but the last prompt token, which is the first root.
    if (L > 1) {
      const prompt = history.view().subarray(0, L - 1);
      model.prefill(prompt);
      this.mirror.set(prompt, 0);
    }
    this.stable = L - 1;
  }

  propose(history: TokenHistory, draft: Draft): void {
    const L = history.length;
    // Draft node at depth i sits at position L - 1 + i, which must stay inside the context.
    const room = this.contextSize - L;
    const depth = Math.min(this.tree ? this.tree.maxDepth : this.gamma, room);
    if (depth < 1) return;
    this.sync(history);
    if (this.sampling) {
      this.proposals.clear();
      draft.proposals = this.proposals;
    }
    if (this.tree) this.proposeTree(draft, depth);
    else this.proposeChain(draft, depth);
  }

  observe(): void {}
  endRequest(): void {}

  dispose(): void {
    this.draftModel.dispose();
  }

  /**
   * Rolls the draft model back to the longest prefix of its cache that agrees with the history, prefills
   * pending tokens beyond what one forward takes, and leaves the rest of the pending chain (root last) in
   * `dd`, not yet evaluated.
   */
  private sync(history: TokenHistory): void {
    const model = this.draftModel;
    const L = history.length;
    const committed = model.committedLength;
    const upto = Math.min(committed, L - 1);
    let m = this.stable;
    while (m < upto && this.mirror[m] === history.at(m)) m++;
    if (m < committed) (model.truncate as (length: number) => void).call(model, m);
    if (L - m > this.catchUp) {
      const end = L - this.catchUp;
      // Rare (a rollback deeper than one step's catch-up): the view allocated here is not per step.
      for (let t = m; t < end; t++) this.scratch[t - m] = this.mirror[t] = history.at(t);
      model.prefill(this.scratch.subarray(0, end - m));
      m = end;
    }
    this.stable = m;
    const dd = this.dd;
    dd.reset(history.at(m));
    for (let t = m + 1; t < L; t++) dd.add(history.at(t), t - m - 1);
  }

  /** Commits the first `n` nodes of `dd` (a chain) to the draft model and the mirror. */
  private commitChain(n: number): void {
    const model = this.draftModel;
    const at = model.committedLength;
    model.commit(this.chainPath, n);
    const tokens = this.dd.tokens;
    for (let i = 0; i < n; i++) this.mirror[at + i] = tokens[i];
  }

  private proposeChain(draft: Draft, gamma: number): void {
    const model = this.draftModel;
    const dd = this.dd;
    const preds = this.ddPredictions;
    model.evaluate(dd, preds);
    let row = dd.count - 1;
    let node = 0;
    for (let i = 1; i <= gamma; i++) {
      const x = this.sampling ? this.drawFirst(row, i) : preds.argmax[row];
      node = draft.add(x, node);
      this.commitChain(dd.count);
      if (i === gamma) break;
      dd.reset(x);
      model.evaluate(dd, preds);
      row = 0;
    }
    // Everything evaluated is committed: the cache holds the pending chain and x₁ … x_{γ−1}.
    this.stable = model.committedLength - (gamma - 1);
  }

  private proposeTree(draft: Draft, maxDepth: number): void {
    const tree = this.tree as SpsTreeShape;
    const model = this.draftModel;
    const dd = this.dd;
    const preds = this.ddPredictions;
    const pending = dd.count;
    const ddIndex = this.ddIndex;
    const targetIndex = this.targetIndex;
    ddIndex[0] = pending - 1;
    targetIndex[0] = 0;
    const k = preds.k;
    let next = 1;
    for (let d = 1; d <= maxDepth && next < tree.nodes; d++) {
      model.evaluate(dd, preds);
      let groupParent = -1;
      let drawn = 0;
      for (; next < tree.nodes && tree.depth[next] === d; next++) {
        const p = tree.parent[next];
        const r = tree.rank[next];
        ddIndex[next] = -1;
        targetIndex[next] = -1;
        if (targetIndex[p] < 0) continue; // its parent was not drafted
        const row = ddIndex[p];
        let x: number;
        if (this.sampling) {
          if (p !== groupParent) {
            this.q.build((model.nodeLogits as (row: number) => Float32Array).call(model, row), 0, this.sampling);
            groupParent = p;
            drawn = 0;
          }
          // The rank-r child is the r-th draw without replacement; draws between template ranks are dropped.
          x = -1;
          while (drawn <= r && this.hasMass()) {
            const y = this.q.sample(this.rng);
            if (drawn === r) {
              x = y;
              this.q.writeDense(this.proposals.probs, this.proposals.offset(draft.count));
            }
            this.q.remove(y);
            drawn++;
          }
          if (x < 0) continue; // q has fewer tokens than ranks
        } else {
          if (preds.topLogits[row * k + r] === Number.NEGATIVE_INFINITY) continue; // vocabulary smaller than k
          x = preds.topIds[row * k + r];
        }
        const t = draft.add(x, targetIndex[p]);
        if (this.sampling) this.proposals.marked[t] = 1;
        targetIndex[next] = t;
        ddIndex[next] = dd.add(x, row);
      }
    }
    this.commitChain(pending);
    this.stable = model.committedLength;
  }

  /** Whether the draft distribution has a token left to draw. */
  private hasMass(): boolean {
    const q = this.q;
    for (let i = 0; i < q.size; i++) if (q.weights[i] > 0) return true;
    return false;
  }

  /** Chain, sampling: draws node `node`'s token from q after draft-model row `row`, recording q. */
  private drawFirst(row: number, node: number): number {
    const model = this.draftModel;
    this.q.build((model.nodeLogits as (row: number) => Float32Array).call(model, row), 0, this.sampling as SamplingOptions);
    const x = this.q.sample(this.rng);
    this.q.writeDense(this.proposals.probs, this.proposals.offset(node));
    this.proposals.marked[node] = 1;
    return x;
  }
}
