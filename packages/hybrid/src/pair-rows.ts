/**
 * Recycled rows keyed by the last TWO tokens (a, b), in a direct-mapped hash table of fixed size: a slot
 * keeps the pair it was last written for, the top-k ids the model predicted after "a b" and their
 * probabilities. A collision overwrites (the newer context wins); a lookup whose slot holds another pair
 * misses, and the drafter falls back to the one-token row. Memory: slots·(8 + k·8) bytes, fixed.
 */
export class PairRows {
  readonly slots: number;
  readonly k: number;
  readonly ids: Int32Array;
  readonly probs: Float32Array;
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly shift: number;

  /** @param slots a power of two. */
  constructor(slots: number, k: number) {
    if (!Number.isInteger(slots) || slots < 2 || (slots & (slots - 1)) !== 0)
      throw new RangeError(`pair rows: slots must be a power of two >= 2, got ${slots}`);
    this.slots = slots;
    this.k = k;
    this.shift = 32 - Math.log2(slots);
    this.ids = new Int32Array(slots * k).fill(-1);
    this.probs = new Float32Array(slots * k);
    this.keyA = new Int32Array(slots).fill(-1);
    this.keyB = new Int32Array(slots).fill(-1);
  }

  private slot(a: number, b: number): number {
    // Multiplicative hashing of both ids (Knuth's constant and a second odd one); the top bits pick the slot.
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> this.shift;
  }

  /** Overwrites the row of the pair (a, b). */
  write(a: number, b: number, ids: Int32Array, idBase: number, probs: Float32Array, probBase: number): void {
    if (a < 0 || b < 0) return;
    const s = this.slot(a, b);
    this.keyA[s] = a;
    this.keyB[s] = b;
    const k = this.k;
    const at = s * k;
    for (let r = 0; r < k; r++) {
      this.ids[at + r] = ids[idBase + r];
      this.probs[at + r] = probs[probBase + r];
    }
  }

  /** Offset of the row of (a, b), or −1 when the table holds no row for that pair. */
  rowOf(a: number, b: number): number {
    if (a < 0 || b < 0) return -1;
    const s = this.slot(a, b);
    return this.keyA[s] === a && this.keyB[s] === b ? s * this.k : -1;
  }

  clear(): void {
    this.ids.fill(-1);
    this.probs.fill(0);
    this.keyA.fill(-1);
    this.keyB.fill(-1);
  }
}
