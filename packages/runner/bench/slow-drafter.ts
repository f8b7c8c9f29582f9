import type { Acceptance, Draft, Drafter, Predictions, TokenHistory } from '@trbench/core';

/**
 * A drafter that behaves exactly like `inner` (same drafts, so the same tokens and MAT) but makes every
 * step `fraction` slower: at each `propose` it busy-waits `fraction` × the duration of the previous step
 * of the same request (measured from one `propose` to the next, its own waiting excluded). The first step
 * of a request waits `fraction` × the last step time seen. A busy wait, so it costs CPU time too, as
 * slower code would.
 */
export class SlowDrafter implements Drafter {
  readonly name: string;
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions: boolean;
  readonly params: Readonly<Record<string, unknown>>;
  private lastStart = -1;
  private lastWait = 0;
  private stepMs = 0;

  constructor(
    private readonly inner: Drafter,
    private readonly fraction: number,
  ) {
    this.name = inner.name;
    this.maxDraftNodes = inner.maxDraftNodes;
    this.topK = inner.topK;
    this.wantsPromptPredictions = inner.wantsPromptPredictions;
    this.params = inner.params;
  }

  beginRequest(history: TokenHistory, promptPredictions: Predictions | null): void {
    this.lastStart = -1;
    this.inner.beginRequest(history, promptPredictions);
  }

  propose(history: TokenHistory, draft: Draft): void {
    const now = performance.now();
    if (this.lastStart >= 0) this.stepMs = now - this.lastStart - this.lastWait;
    const until = now + this.fraction * this.stepMs;
    while (performance.now() < until) {
      // busy wait: the step costs wall and CPU time
    }
    this.lastWait = performance.now() - now;
    this.lastStart = now;
    this.inner.propose(history, draft);
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void {
    this.inner.observe(draft, predictions, acceptance, history);
  }

  endRequest(history: TokenHistory): void {
    this.inner.endRequest(history);
  }
}
