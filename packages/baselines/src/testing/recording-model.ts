import type { Draft, Predictions } from '@trbench/core';
import { ForwardingModel } from './forwarding-model.ts';

/** One evaluated draft as the model saw it, with the argmax after every node. */
export interface RecordedStep {
  tokens: number[];
  parents: number[];
  verifiable: boolean[];
  argmax: number[];
}

/**
 * Test helper: forwards everything to a real (or mock) model and records every evaluated draft and its
 * predictions, so tests can check what went into each forward and that there is exactly one per step.
 */
export class RecordingModel extends ForwardingModel {
  readonly steps: RecordedStep[] = [];
  recording = true;

  override evaluate(draft: Draft, out: Predictions, withLogSumExp?: boolean): void {
    this.inner.evaluate(draft, out, withLogSumExp);
    if (!this.recording) return;
    const n = draft.count;
    this.steps.push({
      tokens: Array.from(draft.tokens.subarray(0, n)),
      parents: Array.from(draft.parent.subarray(0, n)),
      verifiable: Array.from(draft.verifiable.subarray(0, n), (v) => v === 1),
      argmax: Array.from(out.argmax.subarray(0, n)),
    });
  }
}
