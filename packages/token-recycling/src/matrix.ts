import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';

const MAGIC = 'TRMATRIX';
const VERSION = 1;
const HEADER_BYTES = 8 + 4 + 4 + 4 + 64;

/**
 * The adjacency matrix M: for each token t, row t holds the k candidate tokens the model last predicted
 * after t (rank 0 = most likely). One Int32Array of |V|·k ids, zero-initialised as in the paper: a row
 * that was never written drafts token 0, which is simply rejected.
 */
export class AdjacencyMatrix {
  readonly vocabSize: number;
  readonly k: number;
  readonly data: Int32Array;

  constructor(vocabSize: number, k: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new TrbenchError(`vocabulary size must be an integer >= 1, got ${vocabSize}`);
    if (!Number.isInteger(k) || k < 1) throw new TrbenchError(`k must be an integer >= 1, got ${k}`);
    this.vocabSize = vocabSize;
    this.k = k;
    this.data = new Int32Array(vocabSize * k);
  }

  /** Bytes of state (the paper's "< 2 MB": 32000 × 8 × 8 B with int64; trbench stores int32). */
  get bytes(): number {
    return this.data.byteLength;
  }

  /** Candidate of `token` at `rank`. */
  get(token: number, rank: number): number {
    return this.data[token * this.k + rank];
  }

  /** Overwrites row `token` with `k` ids read from `source` at `offset` (a full overwrite, no merge). */
  setRow(token: number, source: Int32Array, offset: number): void {
    const k = this.k;
    const base = token * k;
    for (let r = 0; r < k; r++) this.data[base + r] = source[offset + r];
  }

  /** Zeroes every row (cold start). */
  clear(): void {
    this.data.fill(0);
  }

  /**
   * Saves the matrix: header (magic, version, vocab size, k, the model's sha256 as hex) + int32 rows,
   * written atomically.
   */
  save(file: string, modelSha256: string): void {
    const out = Buffer.alloc(HEADER_BYTES + this.data.byteLength);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(VERSION, 8);
    out.writeUInt32LE(this.vocabSize, 12);
    out.writeUInt32LE(this.k, 16);
    out.write(modelSha256.padEnd(64, '0').slice(0, 64), 20, 'latin1');
    Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).copy(out, HEADER_BYTES);
    writeFileAtomic(file, out);
  }

  /** Loads a saved matrix into this one; refuses a file made for another model, vocabulary or k. */
  load(file: string, modelSha256: string): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new TrbenchError(`cannot read matrix file ${file}: ${(err as Error).message}`);
    }
    if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 8) !== MAGIC) {
      throw new TrbenchError(`${file} is not a trbench TR matrix file (missing the ${MAGIC} header)`);
    }
    const version = bytes.readUInt32LE(8);
    if (version !== VERSION) throw new TrbenchError(`${file}: matrix format version ${version}, this trbench reads version ${VERSION}`);
    const vocab = bytes.readUInt32LE(12);
    const k = bytes.readUInt32LE(16);
    const sha = bytes.toString('latin1', 20, 84);
    if (sha !== modelSha256) throw new TrbenchError(`${file} was saved for model sha256 ${sha}, but the loaded model is ${modelSha256}`);
    if (vocab !== this.vocabSize) throw new TrbenchError(`${file} has a vocabulary of ${vocab}, the model has ${this.vocabSize}`);
    if (k !== this.k) throw new TrbenchError(`${file} has k = ${k}, this run uses k = ${this.k}`);
    if (bytes.length !== HEADER_BYTES + this.data.byteLength)
      throw new TrbenchError(`${file} is truncated or padded (${bytes.length} bytes)`);
    const view = new Int32Array(bytes.buffer.slice(bytes.byteOffset + HEADER_BYTES, bytes.byteOffset + bytes.length));
    for (let i = 0; i < view.length; i++) {
      if (view[i] < 0 || view[i] >= this.vocabSize)
        throw new TrbenchError(`${file}: entry ${i} holds token ${view[i]}, outside the vocabulary`);
    }
    this.data.set(view);
  }
}
