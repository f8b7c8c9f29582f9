/**
 * Token Recycling's matrix with probabilities: for every token, the top-k ids the model last predicted after
 * it and their probabilities (ids −1 until first written). |V|·k·8 bytes (V = 32,000, k = 8: 2 MB).
 */
export class RecycledRows {
  readonly rows: number;
  readonly k: number;
  readonly ids: Int32Array;
  readonly probs: Float32Array;

  constructor(rows: number, k: number) {
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`recycled rows: row count must be an integer >= 1, got ${rows}`);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`recycled rows: k must be an integer >= 1, got ${k}`);
    this.rows = rows;
    this.k = k;
    this.ids = new Int32Array(rows * k).fill(-1);
    this.probs = new Float32Array(rows * k);
  }

  /** Overwrites the row of `token` with `ids[idBase…]`, `probs[probBase…]` (k entries). */
  write(token: number, ids: Int32Array, idBase: number, probs: Float32Array, probBase: number): void {
    if (token < 0 || token >= this.rows) return;
    const k = this.k;
    const at = token * k;
    for (let r = 0; r < k; r++) {
      this.ids[at + r] = ids[idBase + r];
      this.probs[at + r] = probs[probBase + r];
    }
  }

  /** Offset of `token`'s row, or −1 when it was never written. */
  rowOf(token: number): number {
    if (token < 0 || token >= this.rows) return -1;
    const at = token * this.k;
    return this.ids[at] >= 0 ? at : -1;
  }

  clear(): void {
    this.ids.fill(-1);
    this.probs.fill(0);
  }
}
