import type { TokenHistory } from '@trbench/core';
import { LlamaNgramDrafter, type NgramLifetime, type NgramSpeculator } from './server-slot.ts';

/** llama.cpp's `--spec-ngram-simple-*` parameters (common.h `ngram_simple`). */
export interface NgramSimpleOptions {
  /** `--spec-ngram-simple-size-n` (12): length of the lookup n-gram (key). */
  sizeN: number;
  /** `--spec-ngram-simple-size-m` (48): most tokens drafted (the m-gram after the match). */
  sizeM: number;
  /** `--spec-ngram-simple-min-hits` (1): parsed by llama.cpp but never passed to the implementation. */
  minHits: number;
}

export const NGRAM_SIMPLE_DEFAULTS: Readonly<NgramSimpleOptions> = { sizeN: 12, sizeM: 48, minHits: 1 };

/**
 * `common_ngram_simple_draft` (common/ngram-map.cpp): the key is the last n tokens of P ++ [last]; the most
 * recent earlier occurrence in P (scanning down from L−n−1, never position 0) gives up to m tokens that
 * followed it; no draft unless L > n+m+1 and at least n tokens follow the match.
 */
export function ngramSimpleDraft(tokens: TokenHistory, length: number, last: number, n: number, m: number, out: Int32Array): number {
  const L = length;
  if (L <= n + m + 1) return 0;
  const keyStart = L - n + 1;
  let matchPos = 0;
  for (let j = L - n - 1; j > 0; j--) {
    let k = 0;
    while (k < n - 1 && tokens.at(j + k) === tokens.at(keyStart + k)) k++;
    if (k === n - 1 && tokens.at(j + n - 1) === last) {
      matchPos = j;
      break;
    }
  }
  if (matchPos === 0) return 0;
  const copy = Math.min(m, L - (matchPos + n));
  if (copy < n) return 0;
  for (let j = 0; j < copy; j++) out[j] = tokens.at(matchPos + n + j);
  return copy;
}

class NgramSimple implements NgramSpeculator {
  readonly maxDraft: number;
  constructor(private readonly o: NgramSimpleOptions) {
    this.maxDraft = o.sizeM;
  }
  begin(): void {}
  draft(tokens: TokenHistory, length: number, last: number, out: Int32Array): number {
    return ngramSimpleDraft(tokens, length, last, this.o.sizeN, this.o.sizeM, out);
  }
  accept(): void {}
  reset(): void {}
}

/** llama.cpp `--spec-type ngram-simple`: stateless copy of what followed the newest earlier n-gram. */
export class NgramSimpleDrafter extends LlamaNgramDrafter {
  readonly name = 'ngram-simple';
  constructor(options: NgramSimpleOptions, lifetime: NgramLifetime = 'warm') {
    checkSizes('ngram-simple', options.sizeN, options.sizeM);
    super(new NgramSimple({ ...options }), lifetime, { ...options });
  }
}

/** llama.cpp's range for the size flags (arg.cpp: 1..1024). */
export function checkSizes(method: string, n: number, m: number): void {
  for (const [what, v] of [
    ['size-n', n],
    ['size-m', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1024) throw new RangeError(`${method} ${what} must be an integer in 1..1024, got ${v}`);
  }
}
