import type { Acceptance, Draft, Drafter, Predictions, RequestLimits, SamplingOptions, TargetModel, TokenHistory } from '@trbench/core';

/**
 * A drafter that forwards every call to `inner` unchanged (sampling and limits included), so it drafts
 * exactly as `inner` does: the base of the bench's probes, which override what they watch and call super.
 */
export class ForwardingDrafter<D extends Drafter = Drafter> implements Drafter {
  readonly name: string;
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions: boolean;
  readonly observesStopInDrafts?: boolean;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(protected readonly inner: D) {
    this.name = inner.name;
    this.maxDraftNodes = inner.maxDraftNodes;
    this.topK = inner.topK;
    this.wantsPromptPredictions = inner.wantsPromptPredictions;
    this.observesStopInDrafts = inner.observesStopInDrafts;
    this.params = inner.params;
  }

  get draftModel(): TargetModel | undefined {
    return this.inner.draftModel;
  }

  get lastDraftSource(): string | undefined {
    return this.inner.lastDraftSource;
  }

  beginRequest(
    history: TokenHistory,
    promptPredictions: Predictions | null,
    sampling?: SamplingOptions | null,
    limits?: RequestLimits,
  ): void {
    this.inner.beginRequest(history, promptPredictions, sampling, limits);
  }

  propose(history: TokenHistory, draft: Draft): void {
    this.inner.propose(history, draft);
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void {
    this.inner.observe(draft, predictions, acceptance, history);
  }

  endRequest(history: TokenHistory): void {
    this.inner.endRequest(history);
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}
