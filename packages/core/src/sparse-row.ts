/**
 * A full-vocabulary logits row that holds only a row's top candidates (-inf elsewhere), for backends
 * that rank inside the engine and return no whole rows. Sampling with top-k ≤ the candidates kept reads
 * nothing else (its processed distribution lies inside the top-k), so it is exact over this row.
 * One buffer, rewritten in O(candidates) per call: a returned row is valid until the next `write`.
 */
export class SparseLogitsRow {
  private readonly row: Float32Array;
  private readonly written: Int32Array;
  private count = 0;

  constructor(vocabSize: number, maxCandidates: number) {
    this.row = new Float32Array(vocabSize).fill(Number.NEGATIVE_INFINITY);
    this.written = new Int32Array(maxCandidates);
  }

  /** The row holding `logits[offset + r]` at token `ids[offset + r]` for r < count, -inf elsewhere. */
  write(ids: Int32Array, logits: Float32Array, offset: number, count: number): Float32Array {
    if (count > this.written.length) throw new RangeError(`${count} candidates exceed the ${this.written.length} this row was made for`);
    const row = this.row;
    const written = this.written;
    for (let r = 0; r < this.count; r++) row[written[r]] = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < count; r++) {
      const id = ids[offset + r];
      row[id] = logits[offset + r];
      written[r] = id;
    }
    this.count = count;
    return row;
  }
}
