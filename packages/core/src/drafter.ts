import type { Draft } from './draft.ts';
import type { TokenHistory } from './history.ts';
import type { TargetModel } from './model.ts';
import type { Predictions } from './predictions.ts';
import type { SamplingOptions } from './sampling.ts';
import type { Acceptance } from './verify.ts';

/** The limits of one request, as the decode loop applies them (a drafter that emulates a server's draft caps needs them). */
export interface RequestLimits {
  /** The request's max new tokens. */
  maxNewTokens: number;
  /** The model's context size in tokens. */
  contextSize: number;
}

/** What a drafter needs to know about the model it drafts for. */
export interface DrafterContext {
  vocabSize: number;
  /** sha256 of the target model's weights (for persisted state such as TR's matrix). */
  modelSha256: string;
}

/**
 * A drafter proposes a draft for the current context, then is told what the model predicted at every
 * node and which path was accepted. It never sees logits or the KV cache: the decode loop and the
 * backend own those. One drafter instance serves many requests in sequence; state that survives
 * between requests (TR's matrix, a suffix tree of earlier outputs) is the drafter's own business.
 */
export interface Drafter {
  /** Method name as it appears in records (`ar`, `tr`, `pld`, ...). */
  readonly name: string;
  /** Upper bound of nodes, root included, that `propose` may produce. */
  readonly maxDraftNodes: number;
  /** Top-k width needed in `observe` (1 = argmax only). */
  readonly topK: number;
  /** Whether `beginRequest` wants a prediction row for every prompt position (costs prefill outputs). */
  readonly wantsPromptPredictions: boolean;
  /**
   * true: `observe` is called on a request's final step even when the stop falls inside the accepted drafts
   * (llama.cpp's server accepts a draft before it stops at end of generation; its n-gram speculators keep
   * state across requests). Absent = false, the TR reference's order.
   */
  readonly observesStopInDrafts?: boolean;
  /** Parameters that identify this configuration (recorded with results). */
  readonly params: Readonly<Record<string, unknown>>;
  /** A second model the drafter runs (draft-model speculation); its identity is recorded with results. */
  readonly draftModel?: TargetModel;
  /**
   * What drafted the last `propose`, for a drafter that combines several draft sources: a short label set in
   * every `propose` (e.g. `sam-dynamic`, `tr-tree`, `none`). The decode loop counts it per request
   * (`GenerationResult.draftSources`) and `trbench generate --trace` writes it per step; absent = not told.
   */
  lastDraftSource?: string;

  /**
   * Called once per request after prefill. `promptPredictions` (only when `wantsPromptPredictions`) has
   * `promptLength - 1` rows: row i is the prediction after prompt token i; the last prompt token is the
   * first root and is predicted by the first step. `sampling` is the request's sampling (null = greedy):
   * a drafter that draws its tokens from a distribution (a draft model) needs it and attaches what it drew
   * from to the draft (`Draft.proposals`); every other drafter ignores it.
   */
  beginRequest(
    history: TokenHistory,
    promptPredictions: Predictions | null,
    sampling?: SamplingOptions | null,
    limits?: RequestLimits,
  ): void;
  /** Adds nodes under the root (`draft` arrives reset to the last committed token). */
  propose(history: TokenHistory, draft: Draft): void;
  /**
   * Told what the model predicted for every node of the draft just verified and what was accepted.
   * On a request's final step it is called only when the request ends at the bonus token; when the stop
   * (end of generation or the length limit) falls inside the accepted drafts it is skipped — the order
   * of the TR reference loop, which breaks before its update in that case. `history` already contains
   * the accepted tokens and the bonus token (cut at the stop).
   */
  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void;
  /** Called once when the request is finished. */
  endRequest(history: TokenHistory): void;
  /** Releases what the drafter owns (a draft model's native resources); optional. */
  dispose?(): void;
}
