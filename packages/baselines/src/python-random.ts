/**
 * CPython's `random` module generator, bit for bit: MT19937 (Matsumoto & Nishimura's `mt19937ar.c`), seeded
 * as `random.seed(n)` seeds it for an integer n (`init_by_array` with |n|'s 32-bit words, least significant
 * first), with `getrandbits`, `_randbelow` (used by `choice` and `randrange`) and `random()`.
 *
 * Why: Spec-Bench's copy of Lookahead decoding calls `random.seed(10)` on every generate call and draws the
 * window's first tokens with `random.choice(prompt)`; reproducing that start needs this exact stream. The
 * state is preallocated; nothing allocates after construction.
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(624);
  private index = 625;
  private readonly key = new Uint32Array(8);

  /** `random.seed(n)` for an integer `n` with |n| < 2^53. */
  seed(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`PythonRandom seed must be a safe integer, got ${n}`);
    const a = Math.abs(n);
    const hi = Math.floor(a / 0x100000000);
    this.key[0] = a >>> 0;
    this.key[1] = hi >>> 0;
    this.initByArray(hi > 0 ? 2 : 1);
  }

  /**
   * `random.seed(n)` for the integer whose 32-bit words, least significant first, are `words` (1..8 words;
   * CPython drops leading zero words, so the last one should be non-zero unless it is the only one).
   */
  seedWords(words: ArrayLike<number>): void {
    if (words.length < 1 || words.length > this.key.length)
      throw new RangeError(`PythonRandom seedWords takes 1..${this.key.length} words, got ${words.length}`);
    for (let i = 0; i < words.length; i++) this.key[i] = words[i] >>> 0;
    this.initByArray(words.length);
  }

  /** The next 32-bit output (`genrand_uint32`). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      let kk = 0;
      for (; kk < 624 - 397; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + 397] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      for (; kk < 623; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + 397 - 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      const y = (mt[623] & 0x80000000) | (mt[0] & 0x7fffffff);
      mt[623] = mt[396] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.getrandbits(k)` for 1 <= k <= 32: the top k bits of one output. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > 32) throw new RangeError(`getrandbits: k must be 1..32, got ${k}`);
    return this.nextUint32() >>> (32 - k);
  }

  /** `Random._randbelow(n)` (rejection sampling on n.bit_length() bits), 1 <= n <= 2^32 - 1. */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`randbelow: n must be 1..2^32-1, got ${n}`);
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.random()`: 53 bits from two outputs. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  private initByArray(keyLength: number): void {
    const mt = this.mt;
    const key = this.key;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, keyLength); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= keyLength) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = 624;
  }
}
