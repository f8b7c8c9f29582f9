import type { Draft, Drafter, TokenHistory } from '@trbench/core';
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
}

/** ArcticInference's defaults. */
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
 * The global tree makes results depend on which requests ran before on the same drafter instance (warm
 * state); record the request order with the results.
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
  private readonly options: SuffixOptions;
  private readonly speculation: SpeculateOptions;
  private readonly cached: number[];
  private localSeq = -1;
  private globalSeq = -1;
  private localAppended = 0;
  private globalAppended = 0;

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
    this.options = { ...options };
    this.params = { ...options };
    this.speculation = { maxSpecTokens, alpha, offset, minTokenProb, tree: options.tree };
    this.maxDraftNodes = maxSpecTokens + 1;
    this.local = new SuffixTree(maxDepth, maxSpecTokens);
    this.shared = shared ?? new SuffixGlobalCache(maxDepth, maxSpecTokens);
    this.global = this.shared.tree;
    this.cached = this.shared.cached;
  }

  beginRequest(history: TokenHistory): void {
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
    let best: SuffixDraft = this.local.speculate(history, end, this.speculation);
    this.lastSource = best.count > 0 ? 'local' : 'none';
    if (this.globalSeq >= 0 || this.cached.length > 0) {
      const other = this.global.speculate(history, end, this.speculation);
      if (other.score > best.score) {
        best = other;
        this.lastSource = other.count > 0 ? 'global' : 'none';
      }
    }
    // Draft node of output i is i + 1 (the root is node 0 and outputs are added in order).
    for (let i = 0; i < best.count; i++) draft.add(best.tokens[i], best.parents[i] + 1);
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
