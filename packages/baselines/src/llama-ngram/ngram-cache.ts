import type { TokenHistory } from '@trbench/core';
import { LlamaNgramDrafter, type NgramLifetime, type NgramSpeculator } from './server-slot.ts';

/** ngram-cache has no numeric flags in llama.cpp: n_draft is hard-coded (speculative.cpp: 8). */
export const NGRAM_CACHE_DRAFT = 8;
const NGRAM_MAX = 4; // LLAMA_NGRAM_MAX (LLAMA_NGRAM_MIN = 1)
// The context cache's ("lax") thresholds per n-gram size 1..4 (ngram-cache.cpp).
const MIN_SAMPLES = [2, 2, 1, 1];
const MIN_PERCENT = [66, 50, 50, 50];
/** Token ids are packed two per key number: id + 1 (so that the padding −1 is 0) in 21 bits each. */
const PACK = 2 ** 21;

/** token → times it followed the n-gram; Map keeps insertion order (see `bestOf`). */
type Part = Map<number, number>;

/**
 * `common_ngram_cache` used as `common_speculative_impl_ngram_cache` does without cache files: a context
 * cache of counts after every 1..4-gram, updated with the chunk of tokens that are new since the last
 * draft (n-grams crossing a chunk boundary are never counted; after a shorter new prompt nothing is added
 * until the history passes the old size), and drafts of up to 8 tokens, each the most frequent successor
 * of the longest n-gram (4 down to 1) whose counts pass the thresholds.
 *
 * Ties: libstdc++'s unordered_map visits a two-entry map newest first and llama.cpp keeps the first
 * strict maximum, so of two tied candidates the one inserted later wins; a tie among more candidates can
 * never pass the ≥ 50 % threshold. The static/dynamic cache files (`-lcs`, `-lcd`) are not supported.
 */
class NgramCache implements NgramSpeculator {
  readonly maxDraft = NGRAM_CACHE_DRAFT;
  /** (t0, t1) packed → (t2, t3) packed → part. */
  private context = new Map<number, Map<number, Part>>();
  private cacheSize = 0;
  private readonly chunk: number[] = [];
  private readonly window = new Int32Array(NGRAM_MAX);

  reset(): void {
    this.context = new Map();
    this.cacheSize = 0;
  }

  begin(): void {}

  private part(t: ArrayLike<number>, start: number, size: number, create: boolean): Part | undefined {
    const tok = (i: number) => (i < size ? t[start + i] + 1 : 0);
    const hi = tok(0) * PACK + tok(1);
    const lo = tok(2) * PACK + tok(3);
    let inner = this.context.get(hi);
    if (!inner) {
      if (!create) return undefined;
      inner = new Map();
      this.context.set(hi, inner);
    }
    let part = inner.get(lo);
    if (!part && create) {
      part = new Map();
      inner.set(lo, part);
    }
    return part;
  }

  /** common_ngram_cache_update(ctx, 1, 4, chunk, chunk.size()): every n-gram inside the chunk. */
  private update(chunk: number[]): void {
    for (let g = 1; g <= NGRAM_MAX; g++) {
      for (let i = g; i < chunk.length; i++) {
        const part = this.part(chunk, i - g, g, true) as Part;
        const token = chunk[i];
        part.set(token, (part.get(token) ?? 0) + 1);
      }
    }
  }

  draft(tokens: TokenHistory, length: number, last: number, out: Int32Array): number {
    const L = length;
    if (this.cacheSize < L + 1) {
      const chunk = this.chunk;
      chunk.length = 0;
      for (let j = this.cacheSize; j < L; j++) chunk.push(tokens.at(j));
      chunk.push(last);
      this.update(chunk);
      this.cacheSize = L + 1;
    }
    const size = L + 1; // inp = P ++ [last]
    if (size < 2) return 0;
    const w = this.window;
    let count = 0;
    while (count < NGRAM_CACHE_DRAFT) {
      let drafted = -1;
      for (let g = NGRAM_MAX; g >= 1 && drafted < 0; g--) {
        const start = size - g + count;
        if (start < 0) continue; // llama.cpp reads before the history here (|P| + 1 < 4); no n-gram matches
        for (let j = 0; j < g; j++) {
          // inp = P ++ [last], followed by the tokens drafted so far (get_token in ngram-cache.cpp).
          const i = start + j;
          w[j] = i < L ? tokens.at(i) : i === L ? last : out[i - size];
        }
        const part = this.part(w, 0, g, false);
        if (!part) continue;
        let max = 0;
        let sum = 0;
        let best = -1;
        for (const [token, c] of part) {
          // >= over insertion order = strict > over libstdc++'s newest-first order for the ties that matter.
          if (c >= max) {
            max = c;
            best = token;
          }
          sum += c;
        }
        if (sum < MIN_SAMPLES[g - 1] || 100 * max < MIN_PERCENT[g - 1] * sum) continue;
        drafted = best;
      }
      if (drafted < 0) break;
      out[count++] = drafted;
    }
    return count;
  }

  accept(): void {}
}

/**
 * llama.cpp `--spec-type ngram-cache`: frequency-thresholded successors of the last 1..4 tokens, chained,
 * up to 8 tokens. The context cache is per slot and kept across requests (`warm`).
 */
export class NgramCacheDrafter extends LlamaNgramDrafter {
  readonly name = 'ngram-cache';
  constructor(lifetime: NgramLifetime = 'warm') {
    super(new NgramCache(), lifetime, { nDraft: NGRAM_CACHE_DRAFT, lookupCacheStatic: null, lookupCacheDynamic: null });
  }
}
