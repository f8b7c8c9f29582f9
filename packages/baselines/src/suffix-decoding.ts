import type { Draft, Drafter, RequestLimits, TokenHistory } from '@trbench/core';
import { type SpeculateOptions, type SuffixDraft, SuffixTree } from './suffix-tree.ts';

export interface SuffixOptions {
  /** Most tokens per stored suffix (ArcticInference `suffix_cache_max_depth`, 64). */
  maxDepth: number;
  /** Most draft tokens per step (the reference's default: the tree depth, 64). */
  maxSpecTokens: number;
  /** α of the adaptive length ⌊α·match + offset⌋ (`suffix_max_spec_factor`, 1.0). */
  alpha: number;
  /** `suffix_max_spec_offset` (0). */
  offset: number;
  /** `suffix_min_token_prob` (0.1). */
  minTokenProb: number;
  /** Outputs kept in the global tree, FIFO; 0 disables it, -1 = unbounded (`suffix_cache_max_requests`, 100000). */
  maxCachedRequests: number;
  /** Tree drafts (default) or a single path. */
  tree: boolean;
  /**
   * Keep only the first n tokens of the chosen draft (the serving engine's `num_speculative_tokens`, applied
   * after the choice: the ArcticInference plugin speculates with up to 128 tokens and cuts to 16). Absent or
   * 0: no cut.
   */
  maxDraftTokens?: number;
  /**
   * No draft on a request's first step: its token comes from the prefill, as in vLLM (the proposer runs only
   * after a token was sampled). Absent = false (the offline simulator drafts from the prompt).
   */
  firstTokenFromPrefill?: boolean;
  /**
   * Speculate at most contextSize − (tokens so far) − 1 tokens, as vLLM passes
   * `max_spec_tokens = min(limit, max_model_len - num_tokens - 1)`. Absent = false.
   */
  capToContext?: boolean;
}

/**
 * The authors' offline simulator (ArcticInference `arctic_inference/suffix_decoding/simulator.py` and
 * `cache.py`, commit 9d46438): tree drafts, `max_spec_tokens` 0 → the tree depth 64, α 1, offset 0,
 * min prob 0.1; 100 000 cached outputs as the plugin's default. The method `suffix`.
 */
export const SUFFIX_DEFAULTS: Readonly<SuffixOptions> = {
  maxDepth: 64,
  maxSpecTokens: 64,
  alpha: 1,
  offset: 0,
  minTokenProb: 0.1,
  maxCachedRequests: 100_000,
  tree: true,
};

/**
 * ArcticInference's vLLM plugin with `method: suffix` (commit 9d46438): `arctic_inference/vllm/config.py`
 * (`suffix_cache_max_depth` 64, `suffix_cache_max_requests` 100 000, factor 1.0, offset 0.0, min prob 0.1;
 * `num_speculative_tokens` defaults to 16) and `arctic_inference/vllm/model_runner.py`
 * (`propose_suffix_draft_token_ids`: path drafts — `use_tree_spec` left at False — with
 * `max_spec_tokens = min(MAX_SPEC_LEN, max_model_len - num_tokens - 1)`, MAX_SPEC_LEN = 128 in vLLM's
 * `vllm/v1/sample/rejection_sampler.py`; the draft is then cut to `num_spec_tokens` = 16; drafting starts
 * after the prefill's token). The method `suffix-vllm`.
 */
export const SUFFIX_VLLM_DEFAULTS: Readonly<SuffixOptions> = {
  maxDepth: 64,
  maxSpecTokens: 128,
  alpha: 1,
  offset: 0,
  minTokenProb: 0.1,
  maxCachedRequests: 100_000,
  tree: false,
  maxDraftTokens: 16,
  firstTokenFromPrefill: true,
  capToContext: true,
};

/**
 * Upstream vLLM's `method: suffix` (vllm-project/vllm `vllm/config/speculative.py` at f19b16d:
 * `suffix_decoding_max_tree_depth` 24, `suffix_decoding_max_cached_requests` 10 000, factor 1.0, min prob
 * 0.1, `num_speculative_tokens` defaulting to the depth; `vllm/v1/spec_decode/suffix_decoding.py` at
 * 044ac3a: path drafts with `max_spec_tokens = min(num_speculative_tokens, max_model_len - num_tokens - 1)`,
 * offset 0, proposing only after the prefill's token). The method `suffix-vllm-upstream`.
 */
export const SUFFIX_VLLM_UPSTREAM_DEFAULTS: Readonly<SuffixOptions> = {
  maxDepth: 24,
  maxSpecTokens: 24,
  alpha: 1,
  offset: 0,
  minTokenProb: 0.1,
  maxCachedRequests: 10_000,
  tree: false,
  firstTokenFromPrefill: true,
  capToContext: true,
};

/**
 * The global tree of outputs and its FIFO of cached requests, shareable by several drafters that decode
 * requests at the same time (batch > 1): each request appends to its own sequence of the one tree, in the
 * order the batched loop calls its drafter (slot order), and the FIFO never evicts a request still in flight.
 */
export class SuffixGlobalCache {
  readonly tree: SuffixTree;
  /** Sequence ids of cached outputs, oldest first. */
  readonly cached: number[] = [];
  /** Sequences of requests in flight (never evicted). */
  readonly open = new Set<number>();

  constructor(maxDepth: number, maxSpecTokens: number) {
    this.tree = new SuffixTree(maxDepth, maxSpecTokens);
  }
}

/**
 * SuffixDecoding (Oliaro et al., NeurIPS 2025; ArcticInference `SuffixDecodingCache`).
 *
 * Two suffix trees ({@link SuffixTree}): a per-request one over prompt + output, rebuilt for every request,
 * and a global one over outputs, FIFO-evicted by request once more than `maxCachedRequests` are cached. As
 * in the reference, the global tree receives the current request's output as it grows (so it holds every
 * earlier output plus the current one), and the final step's tokens are added when the request ends. Each
 * step speculates on both trees with the history as context and keeps the higher score (the per-request
 * tree on ties).
 *
 * Drafts are step-exact to the authors' code, ties included ({@link SuffixTree}). The options choose how the
 * speculation is called: the offline simulator ({@link SUFFIX_DEFAULTS}) drafts trees from the first step;
 * vLLM ({@link SUFFIX_VLLM_DEFAULTS}, {@link SUFFIX_VLLM_UPSTREAM_DEFAULTS}) drafts paths, only after the
 * prefill's token, within max_model_len, and the plugin cuts the chosen draft to its token budget.
 *
 * The global tree makes results depend on which requests ran before on the same drafter instance (warm
 * state); record the request order with the results. All state lives in the instance.
 */
export class SuffixDecodingDrafter implements Drafter {
  readonly name = 'suffix';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  /** Per-request tree (exposed read-only for tests and diagnostics). */
  readonly local: SuffixTree;
  /** Global tree of outputs (shared with other drafters when built with a {@link SuffixGlobalCache}). */
  readonly global: SuffixTree;
  private readonly shared: SuffixGlobalCache;
  /** Which tree the last draft came from. */
  lastSource: 'local' | 'global' | 'none' = 'none';
  /** The same as a draft-source label (`suffix-local`, `suffix-global`, `none`), set on every `propose`. */
  lastDraftSource = 'none';
  private readonly options: SuffixOptions;
  private readonly speculation: SpeculateOptions;
  private readonly cached: number[];
  private localSeq = -1;
  private globalSeq = -1;
  private localAppended = 0;
  private globalAppended = 0;
  private contextSize = Number.POSITIVE_INFINITY;

  /** `shared`: a global cache shared with the drafters of the other requests in flight (batched decoding). */
  constructor(options: SuffixOptions, shared?: SuffixGlobalCache) {
    const { maxDepth, maxSpecTokens, alpha, offset, minTokenProb, maxCachedRequests } = options;
    if (!Number.isInteger(maxDepth) || maxDepth < 2) throw new RangeError(`suffix maxDepth must be an integer >= 2, got ${maxDepth}`);
    if (!Number.isInteger(maxSpecTokens) || maxSpecTokens < 1)
      throw new RangeError(`suffix maxSpecTokens must be an integer >= 1, got ${maxSpecTokens}`);
    if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new RangeError(`suffix alpha must be a finite number >= 0, got ${alpha}`);
    if (!Number.isFinite(offset)) throw new RangeError(`suffix offset must be finite, got ${offset}`);
    if (!(minTokenProb >= 0 && minTokenProb <= 1)) throw new RangeError(`suffix minTokenProb must be in [0, 1], got ${minTokenProb}`);
    if (!Number.isInteger(maxCachedRequests) || maxCachedRequests < -1)
      throw new RangeError(`suffix maxCachedRequests must be an integer >= -1, got ${maxCachedRequests}`);
    const cut = options.maxDraftTokens ?? 0;
    if (!Number.isInteger(cut) || cut < 0) throw new RangeError(`suffix maxDraftTokens must be an integer >= 0, got ${cut}`);
    this.options = { ...options };
    this.params = { ...options };
    this.speculation = { maxSpecTokens, alpha, offset, minTokenProb, tree: options.tree };
    this.maxDraftNodes = (cut > 0 ? Math.min(cut, maxSpecTokens) : maxSpecTokens) + 1;
    this.local = new SuffixTree(maxDepth, maxSpecTokens);
    this.shared = shared ?? new SuffixGlobalCache(maxDepth, maxSpecTokens);
    this.global = this.shared.tree;
    this.cached = this.shared.cached;
  }

  beginRequest(history: TokenHistory, _predictions?: unknown, _sampling?: unknown, limits?: RequestLimits): void {
    this.contextSize = limits?.contextSize ?? Number.POSITIVE_INFINITY;
    this.local.clear();
    this.localSeq = this.local.openSequence();
    this.local.extend(this.localSeq, history, 0, history.length);
    this.localAppended = history.length;
    this.globalSeq = -1;
    const cap = this.options.maxCachedRequests;
    if (cap !== 0) {
      this.globalSeq = this.global.openSequence();
      this.cached.push(this.globalSeq);
      this.shared.open.add(this.globalSeq);
      // Evict the oldest outputs, never the one just opened (nor, when shared, one still being decoded).
      for (let i = 0; cap > 0 && this.cached.length > cap && i < this.cached.length; ) {
        const seq = this.cached[i];
        if (this.shared.open.has(seq)) i++;
        else {
          this.cached.splice(i, 1);
          this.global.removeSequence(seq);
        }
      }
    }
    this.globalAppended = history.promptLength;
  }

  propose(history: TokenHistory, draft: Draft): void {
    const end = history.length;
    const o = this.options;
    if (o.firstTokenFromPrefill && end === history.promptLength) {
      this.lastSource = 'none';
      this.lastDraftSource = 'none';
      return;
    }
    const spec = this.speculation;
    spec.maxSpecTokens = o.capToContext ? Math.min(o.maxSpecTokens, this.contextSize - end - 1) : o.maxSpecTokens;
    let best: SuffixDraft = this.local.speculate(history, end, spec);
    this.lastSource = best.count > 0 ? 'local' : 'none';
    if (this.globalSeq >= 0 || this.cached.length > 0) {
      const other = this.global.speculate(history, end, spec);
      // The reference keeps the per-request draft on equal scores (`draft1.score >= draft2.score`).
      if (other.score > best.score) {
        best = other;
        this.lastSource = other.count > 0 ? 'global' : 'none';
      }
    }
    this.lastDraftSource = this.lastSource === 'none' ? 'none' : `suffix-${this.lastSource}`;
    // The serving engine's cut of the chosen draft (parents precede children, so a prefix is a tree).
    const n = o.maxDraftTokens ? Math.min(best.count, o.maxDraftTokens) : best.count;
    // Draft node of output i is i + 1 (the root is node 0 and outputs are added in order).
    for (let i = 0; i < n; i++) draft.add(best.tokens[i], best.parents[i] + 1);
  }

  observe(_draft: Draft, _predictions: unknown, _acceptance: unknown, history: TokenHistory): void {
    this.sync(history);
  }

  endRequest(history: TokenHistory): void {
    this.sync(history);
    this.local.closeSequence(this.localSeq);
    if (this.globalSeq >= 0) {
      this.global.closeSequence(this.globalSeq);
      this.shared.open.delete(this.globalSeq);
    }
  }

  private sync(history: TokenHistory): void {
    const end = history.length;
    this.local.extend(this.localSeq, history, this.localAppended, end);
    this.localAppended = end;
    if (this.globalSeq >= 0) {
      this.global.extend(this.globalSeq, history, this.globalAppended, end);
      this.globalAppended = end;
    }
  }
}
