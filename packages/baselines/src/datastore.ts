import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { buildSuffixArray, buildSuffixArrayAsync } from './suffix-array.ts';

const MAGIC = 'TRBRESTD';
const VERSION = 1;
/** Version of the datastore file format written by {@link Datastore.toBytes}. */
export const DATASTORE_FORMAT_VERSION = VERSION;
const HEADER_BYTES = 96;

/**
 * REST's datastore: a token corpus and its suffix array, built once and searched per step.
 *
 * File format (little-endian), version 1:
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | magic `TRBRESTD` |
 * | 8 | 4 | u32 version (1) |
 * | 12 | 4 | u32 vocabulary size |
 * | 16 | 4 | u32 token count n |
 * | 20 | 4 | u32 document count |
 * | 24 | 64 | sha256 (hex, ASCII) of the model whose tokenizer made the tokens |
 * | 88 | 8 | reserved (zero) |
 * | 96 | 4n | i32 tokens (documents concatenated, no separator, as REST's writer) |
 * | 96+4n | 4n | i32 suffix array |
 *
 * Tokens depend on the tokenizer, so a datastore only serves the model it was built for: loading checks
 * the sha256 and refuses any other model.
 */
export class Datastore {
  readonly tokens: Int32Array;
  readonly suffixArray: Int32Array;
  readonly vocabSize: number;
  readonly modelSha256: string;
  readonly documentCount: number;

  private constructor(tokens: Int32Array, suffixArray: Int32Array, vocabSize: number, modelSha256: string, documentCount: number) {
    this.tokens = tokens;
    this.suffixArray = suffixArray;
    this.vocabSize = vocabSize;
    this.modelSha256 = modelSha256;
    this.documentCount = documentCount;
  }

  /** Concatenates the documents and builds the suffix array. */
  static build(documents: readonly ArrayLike<number>[], vocabSize: number, modelSha256: string): Datastore {
    const tokens = Datastore.concatenate(documents, vocabSize, modelSha256);
    return new Datastore(tokens, buildSuffixArray(tokens, vocabSize), vocabSize, modelSha256, documents.length);
  }

  /**
   * {@link build} that yields to the event loop between suffix-array rounds and stops there when `signal`
   * is aborted (InterruptedError); `onRound(sorted, n)` reports suffixes told apart so far.
   */
  static async buildAsync(
    documents: readonly ArrayLike<number>[],
    vocabSize: number,
    modelSha256: string,
    options: { signal?: AbortSignal; onRound?: (sorted: number, n: number) => void } = {},
  ): Promise<Datastore> {
    const tokens = Datastore.concatenate(documents, vocabSize, modelSha256);
    const sa = await buildSuffixArrayAsync(tokens, vocabSize, options);
    return new Datastore(tokens, sa, vocabSize, modelSha256, documents.length);
  }

  private static concatenate(documents: readonly ArrayLike<number>[], vocabSize: number, modelSha256: string): Int32Array {
    if (!/^[0-9a-f]{64}$/.test(modelSha256))
      throw new TrbenchError(`model sha256 must be 64 lowercase hex digits, got ${JSON.stringify(modelSha256)}`);
    let total = 0;
    for (const d of documents) total += d.length;
    if (total > 0x7fffffff) throw new TrbenchError(`the corpus has ${total} tokens; a datastore holds at most 2^31-1`);
    const tokens = new Int32Array(total);
    let at = 0;
    documents.forEach((doc, di) => {
      for (let i = 0; i < doc.length; i++) {
        const t = doc[i];
        if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
          throw new TrbenchError(`corpus document ${di + 1}, token ${i}: ${t} is not a token id of this model (vocabulary ${vocabSize})`);
        }
        tokens[at++] = t;
      }
    });
    return tokens;
  }

  /** Serialises to the version-1 file format. */
  toBytes(): Uint8Array {
    const n = this.tokens.length;
    const bytes = new Uint8Array(HEADER_BYTES + 8 * n);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
    view.setUint32(8, VERSION, true);
    view.setUint32(12, this.vocabSize, true);
    view.setUint32(16, n, true);
    view.setUint32(20, this.documentCount, true);
    for (let i = 0; i < 64; i++) bytes[24 + i] = this.modelSha256.charCodeAt(i);
    for (let i = 0; i < n; i++) view.setInt32(HEADER_BYTES + 4 * i, this.tokens[i], true);
    for (let i = 0; i < n; i++) view.setInt32(HEADER_BYTES + 4 * n + 4 * i, this.suffixArray[i], true);
    return bytes;
  }

  /** Writes the file atomically (temporary file, then rename). */
  save(file: string): void {
    try {
      writeFileAtomic(file, this.toBytes());
    } catch (err) {
      throw new TrbenchError(`could not write datastore ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Parses a datastore; `source` names it in errors. Checks the model when `expectedSha256` is given. */
  static fromBytes(bytes: Uint8Array, source: string, expectedSha256?: string): Datastore {
    const fail = (what: string): never => {
      throw new TrbenchError(`datastore ${source}: ${what}`);
    };
    if (bytes.length < HEADER_BYTES) fail(`file is ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    const magic = String.fromCharCode(...bytes.subarray(0, 8));
    if (magic !== MAGIC)
      fail(
        `bad magic ${JSON.stringify(magic)}, expected "${MAGIC}" (not a trbench REST datastore; build one with trbench datastore build)`,
      );
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint32(8, true);
    if (version !== VERSION) fail(`version ${version} is not supported (expected ${VERSION})`);
    const vocabSize = view.getUint32(12, true);
    const n = view.getUint32(16, true);
    const documentCount = view.getUint32(20, true);
    const sha = String.fromCharCode(...bytes.subarray(24, 88));
    if (!/^[0-9a-f]{64}$/.test(sha)) fail(`model sha256 field ${JSON.stringify(sha)} is not 64 hex digits`);
    if (bytes.length !== HEADER_BYTES + 8 * n)
      fail(`file is ${bytes.length} bytes, expected ${HEADER_BYTES + 8 * n} for ${n} tokens (truncated?)`);
    if (expectedSha256 !== undefined && sha !== expectedSha256) {
      fail(
        `built for the model with sha256 ${sha}, but the model in use has sha256 ${expectedSha256}; rebuild it with trbench datastore build for this model`,
      );
    }
    const tokens = new Int32Array(n);
    const sa = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const t = view.getInt32(HEADER_BYTES + 4 * i, true);
      if (t < 0 || t >= vocabSize) fail(`token ${i} is ${t}, outside the vocabulary of ${vocabSize}`);
      tokens[i] = t;
    }
    for (let i = 0; i < n; i++) {
      const p = view.getInt32(HEADER_BYTES + 4 * n + 4 * i, true);
      if (p < 0 || p >= n) fail(`suffix array entry ${i} is ${p}, outside [0, ${n})`);
      sa[i] = p;
    }
    return new Datastore(tokens, sa, vocabSize, sha, documentCount);
  }

  /** Reads and checks a datastore file (see {@link Datastore.fromBytes}). */
  static load(file: string, expectedSha256?: string): Datastore {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new TrbenchError(`cannot read datastore ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        cause: err,
      });
    }
    return Datastore.fromBytes(bytes, file, expectedSha256);
  }
}
