import type { TokenHistory } from '@trbench/core';
import { matchesAt, type NgramSpeculator } from './server-slot.ts';

/** llama.cpp's `--spec-ngram-map-k-*` / `--spec-ngram-map-k4v-*` parameters (common.h `ngram_map_k(4v)`). */
export interface NgramMapOptions {
  /** `size-n` (12): length of the key n-gram. */
  sizeN: number;
  /** `size-m` (48): length of the value m-gram, the most tokens drafted. */
  sizeM: number;
  /** `min-hits` (1): key lookups needed before k4v drafts (map-k ignores it, as llama.cpp does). */
  minHits: number;
}

export const NGRAM_MAP_DEFAULTS: Readonly<NgramMapOptions> = { sizeN: 12, sizeM: 48, minHits: 1 };

const MAX_VALUES = 4; // COMMON_NGRAM_MAX_VALUES
const HASH_MAP_SIZE = 262_144; // COMMON_NGRAM_HASH_MAP_SIZE
const MAX_COUNT = 16_380; // COMMON_NGRAM_MAX_VALUE_COUNT
const LCG_FACTOR = 2_654_435_761 | 0;

/** One key n-gram and up to four value m-grams seen after it (`common_ngram_map_key`). */
interface MapKey {
  keyIdx: number;
  statIdx: number;
  keyNum: number;
  /** value_idx per slot (0 = unused). */
  valueIdx: Int32Array;
  valueNum: Int32Array;
  /** n_accepted per slot: the draft length cap learnt from the last acceptance. */
  accepted: Int32Array;
}

/**
 * `common_ngram_map` with `common_ngram_map_begin/draft/accept` (common/ngram-map.cpp), for one slot: both
 * ngram-map-k (`keyOnly`) and ngram-map-k4v. Quirks kept on purpose: the hash index keeps the first writer
 * of a bucket; positions between size_last_begin−n−m−1 and size_last_begin are never indexed; key_num
 * counts lookups; k4v re-counts its previous match (inclusive range) and copies the tokens after the
 * current match, not after the chosen value; a key whose last draft had 0 tokens accepted stays dead.
 * Reads of positions at or past |P| (possible only for keys kept from an earlier, longer request, where
 * llama.cpp reads past the vector's end) are treated as mismatches.
 */
export class NgramMap implements NgramSpeculator {
  readonly maxDraft: number;
  private readonly n: number;
  private readonly m: number;
  private readonly keyOnly: boolean;
  private readonly minHits: number;
  private keys: MapKey[] = [];
  private readonly keyMap = new Uint32Array(HASH_MAP_SIZE);
  private keyMapLast = 0;
  private sizeLastBegin = 0;
  private idxLastCheck = 0;
  private lastCreated = false;
  private lastKey = 0;
  private lastValue = 0;
  private readonly key: Int32Array;

  constructor(options: NgramMapOptions, keyOnly: boolean) {
    this.n = options.sizeN;
    this.m = options.sizeM;
    this.minHits = options.minHits;
    this.keyOnly = keyOnly;
    this.maxDraft = options.sizeM;
    this.key = new Int32Array(options.sizeN);
  }

  reset(): void {
    this.keys = [];
    this.keyMap.fill(0);
    this.keyMapLast = 0;
    this.sizeLastBegin = 0;
    this.idxLastCheck = 0;
    this.lastCreated = false;
    this.lastKey = 0;
    this.lastValue = 0;
  }

  begin(_tokens: TokenHistory, sizeBegin: number): void {
    const { n, m } = this;
    let cleanup = this.sizeLastBegin;
    if (cleanup > sizeBegin) cleanup = sizeBegin > n + m ? sizeBegin - n - m : 0;
    if (sizeBegin < this.idxLastCheck) {
      const map = this.keyMap;
      for (let i = 0; i < map.length; i++) if (map[i] !== 0 && map[i] >= cleanup) map[i] = 0;
      this.keyMapLast = cleanup > 0 ? cleanup - 1 : 0;
      for (let i = this.keys.length - 1; i >= 0; i--) {
        const key = this.keys[i];
        if (key.keyIdx >= cleanup) {
          this.keys.splice(i, 1);
          continue;
        }
        if (this.keyOnly) continue;
        for (let j = MAX_VALUES - 1; j >= 0; j--) {
          if (key.valueIdx[j] !== 0 && key.valueIdx[j] >= cleanup) {
            for (let k = j; k < MAX_VALUES - 1; k++) {
              key.valueIdx[k] = key.valueIdx[k + 1];
              key.valueNum[k] = key.valueNum[k + 1];
              key.accepted[k] = key.accepted[k + 1];
            }
            key.valueIdx[MAX_VALUES - 1] = 0;
            key.valueNum[MAX_VALUES - 1] = 0;
          }
        }
        if (key.valueIdx[0] === 0) this.keys.splice(i, 1);
      }
    }
    this.idxLastCheck = sizeBegin;
    this.sizeLastBegin = sizeBegin;
  }

  private hashAt(tokens: TokenHistory, start: number): number {
    let h = 0;
    for (let i = 0; i < this.n; i++) h = (Math.imul(h, LCG_FACTOR) + tokens.at(start + i)) | 0;
    return (h >>> 0) % HASH_MAP_SIZE;
  }

  draft(tokens: TokenHistory, length: number, last: number, out: Int32Array): number {
    this.lastCreated = false;
    this.lastKey = 0;
    this.lastValue = 0;
    const L = length;
    const { n, m, key } = this;
    if (L < 2 * n + m) return 0;
    this.idxLastCheck = L;
    for (let j = 0; j < n - 1; j++) key[j] = tokens.at(L - n + 1 + j);
    key[n - 1] = last;

    let h = 0;
    for (let i = 0; i < n; i++) h = (Math.imul(h, LCG_FACTOR) + key[i]) | 0;
    const keyHash = (h >>> 0) % HASH_MAP_SIZE;
    const hi = L - n - m - 1;
    const B = this.sizeLastBegin;
    const K = this.keyMapLast;
    let matchPos = 0;
    const indexed = this.keyMap[keyHash];
    if (indexed !== 0 && indexed < hi && matchesAt(tokens, L, indexed, key, n)) matchPos = indexed;
    if (matchPos === 0 && B > n + m + 1) {
      for (let j = B - n - m - 1; j > K; j--) {
        if (matchesAt(tokens, L, j, key, n)) {
          matchPos = j;
          break;
        }
      }
    }
    if (matchPos === 0) {
      for (let j = hi; j > B && j > K; j--) {
        if (matchesAt(tokens, L, j, key, n)) {
          matchPos = j;
          break;
        }
      }
    }
    // Index the n-grams scanned above, in the same descending order (a bucket keeps its first writer).
    if (B > n + m + 1) for (let j = B - n - m - 1; j > K; j--) this.index(tokens, j);
    for (let j = hi; j > B && j > K; j--) this.index(tokens, j);
    this.keyMapLast = Math.max(hi, K);
    if (matchPos === 0) return 0;

    let offset = this.keys.length;
    for (let i = 0; i < this.keys.length; i++) {
      if (matchesAt(tokens, L, this.keys[i].keyIdx, key, n)) {
        offset = i;
        break;
      }
    }
    if (offset === this.keys.length) {
      this.keys.push({
        keyIdx: matchPos,
        statIdx: 0,
        keyNum: 0,
        valueIdx: new Int32Array(MAX_VALUES),
        valueNum: new Int32Array(MAX_VALUES),
        accepted: new Int32Array(MAX_VALUES).fill(m),
      });
    }
    const entry = this.keys[offset];
    entry.keyNum = Math.min(entry.keyNum + 1, MAX_COUNT);

    if (this.keyOnly) {
      const count = Math.min(m, entry.accepted[0]);
      for (let i = 0; i < count; i++) out[i] = tokens.at(matchPos + n + i);
      this.lastCreated = true;
      this.lastKey = offset;
      this.lastValue = 0;
      return count;
    }

    if (entry.keyNum < this.minHits) return 0;
    for (let i = entry.statIdx; i <= matchPos; i++) {
      if (!matchesAt(tokens, L, i, key, n)) continue;
      const v = i + n;
      let slot = -1;
      for (let s = 0; s < MAX_VALUES; s++) {
        const at = entry.valueIdx[s];
        if (at === 0) {
          entry.valueIdx[s] = v;
          entry.valueNum[s] = 0;
          entry.accepted[s] = m;
          slot = s;
          break;
        }
        let same = at + m <= L && v + m <= L;
        for (let j = 0; same && j < m; j++) same = tokens.at(v + j) === tokens.at(at + j);
        if (same) {
          slot = s;
          break;
        }
      }
      if (slot >= 0) entry.valueNum[slot] = Math.min(entry.valueNum[slot] + 1, MAX_COUNT);
    }
    entry.statIdx = matchPos;

    let maxOccur = 0;
    let best = 0;
    for (let s = 0; s < MAX_VALUES; s++) {
      if (entry.valueNum[s] > maxOccur) {
        maxOccur = entry.valueNum[s];
        best = s;
      }
    }
    let others = 0;
    for (let s = 0; s < MAX_VALUES; s++) if (s !== best) others += entry.valueNum[s];
    if (others > 0 && maxOccur < 2 * others) return 0;
    const count = Math.min(m, entry.accepted[best]);
    for (let i = 0; i < count; i++) out[i] = tokens.at(matchPos + n + i);
    this.lastCreated = true;
    this.lastKey = offset;
    this.lastValue = best;
    return count;
  }

  private index(tokens: TokenHistory, j: number): void {
    const b = this.hashAt(tokens, j);
    if (this.keyMap[b] === 0) this.keyMap[b] = j;
  }

  accept(accepted: number): void {
    if (!this.lastCreated) return;
    // n_accepted is int16_t in llama.cpp; drafts are at most 1024 tokens.
    this.keys[this.lastKey].accepted[this.lastValue] = accepted;
  }
}
