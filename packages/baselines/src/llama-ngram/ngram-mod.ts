import type { TokenHistory } from '@trbench/core';
import { LlamaNgramDrafter, type NgramLifetime, type NgramSpeculator } from './server-slot.ts';

/** llama.cpp's `--spec-ngram-mod-*` parameters (common.h `ngram_mod`; `--spec-default` sets 24/48/64). */
export interface NgramModOptions {
  /** `--spec-ngram-mod-n-match` (24): length of the hashed n-gram. */
  nMatch: number;
  /** `--spec-ngram-mod-n-min` (48): a chain shorter than this is dropped. */
  nMin: number;
  /** `--spec-ngram-mod-n-max` (64): most tokens drafted. */
  nMax: number;
}

export const NGRAM_MOD_DEFAULTS: Readonly<NgramModOptions> = { nMatch: 24, nMin: 48, nMax: 64 };

const TABLE_SIZE = 4 * 1024 * 1024; // common_speculative_impl_ngram_mod: mod(n_match, 4*1024*1024)
/** 6364136223846793005 mod 2^22: the table index is the 64-bit LCG fold mod 2^22, which needs only these bits. */
const LCG_LOW = Number(6_364_136_223_846_793_005n % BigInt(TABLE_SIZE));

/**
 * `common_ngram_mod` + `common_speculative_impl_ngram_mod` (common/ngram-mod.cpp, speculative.cpp): a hash
 * table from an n-gram to the token that last followed it (no key check: a collision answers with a
 * foreign token), filled from the prompt at `begin` and from the history in chunks of more than 32 tokens;
 * drafts follow it token by token from the last n tokens. Reset when more than a quarter is used after
 * `begin`, and after 5 drafts in a row with under 25 % accepted.
 */
class NgramMod implements NgramSpeculator {
  readonly maxDraft: number;
  /** token + 1 per slot, 0 = empty (llama.cpp's −1): a fresh table needs no fill. */
  private readonly table = new Int32Array(TABLE_SIZE);
  /** Slots in use, in the order they were filled (`used` of them): a reset clears only these. */
  private filled = new Int32Array(1024);
  private used = 0;
  private iLast = 0;
  private nLast = 0;
  private nLow = 0;
  private readonly window: Int32Array;
  /** LCG multiplier^(n−1) mod 2^22: the weight of the oldest token of a window. */
  private readonly topPower: number;

  constructor(private readonly o: NgramModOptions) {
    this.maxDraft = o.nMax;
    let p = 1;
    for (let k = 1; k < o.nMatch; k++) p = (p * LCG_LOW) % TABLE_SIZE;
    this.topPower = p;
    this.window = new Int32Array(o.nMatch + o.nMax);
  }

  reset(): void {
    this.resetTable();
    this.iLast = 0;
    this.nLast = 0;
    this.nLow = 0;
  }

  private resetTable(): void {
    if (this.used > TABLE_SIZE / 8) this.table.fill(0);
    else for (let i = 0; i < this.used; i++) this.table[this.filled[i]] = 0;
    this.used = 0;
  }

  /** add(tokens + i) for i in [from, to): each n-gram maps to the token after it (rolling hash). */
  private addRange(tokens: TokenHistory, from: number, to: number): void {
    const n = this.o.nMatch;
    if (from >= to) return;
    let h = 0;
    for (let k = 0; k < n; k++) h = (h * LCG_LOW + tokens.at(from + k)) % TABLE_SIZE;
    for (let i = from; ; ) {
      if (this.table[h] === 0) {
        if (this.used === this.filled.length) {
          const grown = new Int32Array(this.filled.length * 2);
          grown.set(this.filled);
          this.filled = grown;
        }
        this.filled[this.used++] = h;
      }
      const next = tokens.at(i + n);
      this.table[h] = next + 1;
      if (++i >= to) break;
      h = this.roll(h, tokens.at(i - 1), next);
    }
  }

  /** The index of w[i+1..i+n+1) from that of w[i..i+n): drop `out`, append `inp` (all mod 2^22). */
  private roll(h: number, out: number, inp: number): number {
    const drop = ((out % TABLE_SIZE) * this.topPower) % TABLE_SIZE;
    return (((h - drop + TABLE_SIZE) % TABLE_SIZE) * LCG_LOW + inp) % TABLE_SIZE;
  }

  begin(tokens: TokenHistory, size: number): void {
    const n = this.o.nMatch;
    this.iLast = 0;
    this.nLast = 0;
    if (size < n) return;
    this.addRange(tokens, 0, size - n);
    this.iLast = size - n;
    if (this.used / TABLE_SIZE > 0.25) this.resetTable();
  }

  draft(tokens: TokenHistory, length: number, last: number, out: Int32Array): number {
    const { nMatch: n, nMin, nMax } = this.o;
    this.nLast = 0;
    const L = length;
    if (L < n) return 0;
    if (this.iLast + 32 < L) {
      this.addRange(tokens, this.iLast, L - n);
      this.iLast = L - n;
    }
    const w = this.window;
    for (let i = 0; i < n - 1; i++) w[i] = tokens.at(L - n + 1 + i);
    w[n - 1] = last;
    let count = 0;
    let h = 0;
    for (let k = 0; k < n; k++) h = (h * LCG_LOW + w[k]) % TABLE_SIZE;
    for (let i = 0; i < nMax; i++) {
      if (i > 0) h = this.roll(h, w[i - 1], w[i + n - 1]);
      const token = this.table[h] - 1;
      if (token < 0) {
        if (i < nMin) return 0;
        break;
      }
      w[n + i] = token;
      out[i] = token;
      count++;
    }
    this.nLast = count;
    return count;
  }

  accept(accepted: number): void {
    if (this.nLast === 0) return;
    if (accepted / this.nLast < 0.25) {
      this.nLow++;
      if (this.nLow >= 5) {
        this.resetTable();
        this.nLow = 0;
        this.iLast = 0;
      }
    } else {
      this.nLow = 0;
    }
  }
}

/**
 * llama.cpp `--spec-type ngram-mod` (the n-gram part of `--spec-default`). Its table is one per server,
 * shared by every request (`warm`); 16 MiB per drafter instance.
 */
export class NgramModDrafter extends LlamaNgramDrafter {
  readonly name = 'ngram-mod';
  constructor(options: NgramModOptions, lifetime: NgramLifetime = 'warm') {
    const { nMatch, nMin, nMax } = options;
    if (!Number.isInteger(nMatch) || nMatch < 1 || nMatch > 1024)
      throw new RangeError(`ngram-mod n-match must be an integer in 1..1024, got ${nMatch}`);
    for (const [what, v] of [
      ['n-min', nMin],
      ['n-max', nMax],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 1024) throw new RangeError(`ngram-mod ${what} must be an integer in 0..1024, got ${v}`);
    }
    super(new NgramMod({ ...options }), lifetime, { ...options });
  }
}
