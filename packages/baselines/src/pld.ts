import type { Draft, Drafter, TokenHistory } from '@trbench/core';
import type { TokenReader } from './token-reader.ts';

/** Which published PLD rule to follow; the explicit options below override a preset field by field. */
export type PldVariant = 'original' | 'hf' | 'vllm';

export interface PldOptions {
  /** Longest n-gram tried (the query is the last n tokens). */
  maxNgram: number;
  /** Shortest n-gram tried. */
  minNgram: number;
  /** Draft length (`num_pred_tokens`). */
  numPredTokens: number;
  /**
   * false: a match counts only when a full `numPredTokens` continuation follows it and the continuation
   * starts before the query (original / Spec-Bench). true: the continuation may be cut by the end of the
   * sequence (HF, vLLM).
   */
  allowShort: boolean;
  /**
   * Token drafted alone when nothing matches. null (default): no draft, the step is plain decoding.
   * Spec-Bench's copy drafts 100 here, which only adds a wasted node per miss.
   */
  missToken: number | null;
}

/**
 * The three rules as published:
 * - original (apoorvumang/prompt-lookup-decoding, Spec-Bench `find_candidate_pred_tokens`): n = 3..1,
 *   earliest match, full 10-token continuation required;
 * - hf (transformers `PromptLookupCandidateGenerator`): n = 2..1, earliest match, short continuations;
 * - vllm (`ngram` proposer): only the longest n-gram size (min = max = 5 when unset), earliest occurrence,
 *   short continuations.
 */
export const PLD_PRESETS: Readonly<Record<PldVariant, Omit<PldOptions, 'missToken'>>> = {
  original: { maxNgram: 3, minNgram: 1, numPredTokens: 10, allowShort: false },
  hf: { maxNgram: 2, minNgram: 1, numPredTokens: 10, allowShort: true },
  vllm: { maxNgram: 5, minNgram: 5, numPredTokens: 10, allowShort: true },
};

/**
 * Finds PLD's continuation in `seq[0..len)`: for n = maxNgram down to minNgram (and n < len), the query is
 * the last n tokens; occurrences are scanned left to right and the first acceptable one wins. The query
 * itself is never a match (its continuation would be empty). Returns the continuation's start index, or -1.
 *
 * Acceptable: with `allowShort`, any occurrence that is not the query (the continuation runs to at most
 * `numPredTokens` tokens or the end); without it, `start + numPredTokens <= len` and `start < len - n`.
 */
export function findPromptLookup(seq: TokenReader, len: number, options: Omit<PldOptions, 'missToken'>): number {
  const { minNgram, numPredTokens, allowShort } = options;
  const top = Math.min(options.maxNgram, len - 1);
  for (let n = top; n >= minNgram; n--) {
    const q = len - n;
    // Last admissible occurrence start: short drafts need start = idx + n <= len - 1; full ones need
    // idx + n + numPredTokens <= len and idx + n < len - n.
    const lastIdx = allowShort ? len - n - 1 : Math.min(len - n - numPredTokens, len - 2 * n - 1);
    for (let idx = 0; idx <= lastIdx; idx++) {
      let j = 0;
      while (j < n && seq.at(idx + j) === seq.at(q + j)) j++;
      if (j === n) return idx + n;
    }
  }
  return -1;
}

/**
 * Prompt Lookup Decoding: drafts the tokens that followed the latest n-gram's earliest earlier occurrence
 * in the prompt + output, as one chain. Stateless between steps; nothing to learn in `observe`.
 */
export class PldDrafter implements Drafter {
  readonly name = 'pld';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  private readonly options: PldOptions;

  constructor(options: PldOptions) {
    const { maxNgram, minNgram, numPredTokens, missToken } = options;
    if (!Number.isInteger(minNgram) || minNgram < 1) throw new RangeError(`PLD minNgram must be an integer >= 1, got ${minNgram}`);
    if (!Number.isInteger(maxNgram) || maxNgram < minNgram)
      throw new RangeError(`PLD maxNgram must be an integer >= minNgram (${minNgram}), got ${maxNgram}`);
    if (!Number.isInteger(numPredTokens) || numPredTokens < 1)
      throw new RangeError(`PLD numPredTokens must be an integer >= 1, got ${numPredTokens}`);
    if (missToken !== null && (!Number.isInteger(missToken) || missToken < 0))
      throw new RangeError(`PLD missToken must be a token id or null, got ${missToken}`);
    this.options = { ...options };
    this.maxDraftNodes = numPredTokens + 1;
    this.params = { ...options };
  }

  beginRequest(): void {}

  propose(history: TokenHistory, draft: Draft): void {
    const o = this.options;
    const len = history.length;
    const start = findPromptLookup(history, len, o);
    if (start < 0) {
      if (o.missToken !== null) draft.add(o.missToken, 0);
      return;
    }
    const end = Math.min(start + o.numPredTokens, len);
    let parent = 0;
    for (let i = start; i < end; i++) parent = draft.add(history.at(i), parent);
  }

  observe(): void {}
  endRequest(): void {}
}
