import { writeFileAtomic } from '@trbench/assets';
import type { StepView } from '@trbench/core';

/** Default width of `--trace`'s top-k per fed position. */
export const DEFAULT_TRACE_TOPK = 8;

/**
 * One line of `trbench generate --trace FILE`: everything a replay of another implementation needs to
 * compare one step (the draft it was given, what the target predicted, what was accepted).
 */
export interface TraceStep {
  /** 0-based step. */
  step: number;
  /** Fed tokens in tree order: node 0 is the root (the last committed token), a parent comes before its children. */
  tokens: number[];
  /** Parent node of each fed token (−1 for the root). */
  parents: number[];
  /** The accepted path as node indices, root first (`accepted.length − 1` draft tokens were accepted). */
  accepted: number[];
  /** The tokens of the accepted drafts (path without the root). */
  acceptedTokens: number[];
  /** The target's token after the last accepted node. */
  bonus: number;
  /** Tokens this step committed: accepted drafts + bonus, cut at the stop (end of generation, the length limit). */
  committed: number;
  /** The target's top-k ids after every fed node (row i = after node i; higher logit first, ties lower id first). */
  topk: number[][];
  /** `Drafter.lastDraftSource` of this step, when the drafter names its draft sources. */
  source?: string;
}

/** The JSON of one step (read from the decode loop's buffers during its `onStep` call). */
export function traceStep(view: StepView, topK: number): TraceStep {
  const { draft, predictions, acceptance } = view;
  const k = Math.min(topK, predictions.k);
  const tokens: number[] = [];
  const parents: number[] = [];
  const topk: number[][] = [];
  for (let i = 0; i < draft.count; i++) {
    tokens.push(draft.tokens[i]);
    parents.push(i === 0 ? -1 : draft.parent[i]);
    const row: number[] = [];
    for (let j = 0; j < k; j++) row.push(predictions.topIds[i * predictions.k + j]);
    topk.push(row);
  }
  const accepted = Array.from(acceptance.path.subarray(0, acceptance.length));
  return {
    step: view.index,
    tokens,
    parents,
    accepted,
    acceptedTokens: accepted.slice(1).map((n) => draft.tokens[n]),
    bonus: acceptance.bonusToken,
    committed: view.committed,
    topk,
    ...(view.source !== undefined ? { source: view.source } : {}),
  };
}

/** Collects a request's steps and writes them, one JSON line each, atomically when the request is done. */
export class StepTraceWriter {
  private readonly lines: string[] = [];
  /** The decode loop's `onStep`. */
  readonly onStep: (view: StepView) => void;

  constructor(
    readonly file: string,
    readonly topK: number = DEFAULT_TRACE_TOPK,
  ) {
    this.onStep = (view) => {
      this.lines.push(JSON.stringify(traceStep(view, this.topK)));
    };
  }

  get steps(): number {
    return this.lines.length;
  }

  write(): void {
    writeFileAtomic(this.file, this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`);
  }
}
