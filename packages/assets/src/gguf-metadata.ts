import { TrbenchError } from '@trbench/core';
import { type GgufHeader, readGgufHeader } from './gguf-read.ts';
import type { GgufValue } from './gguf-writer.ts';

/**
 * GGUF key (array of int32) listing the token ids that end generation besides the vocabulary's own
 * end-of-generation set. trbench writes it into the files it makes (stories260K, twins, derived models),
 * so a model opened by name and the same file opened by path stop at the same tokens.
 */
export const EXTRA_STOP_TOKENS_KEY = 'trbench.extra_stop_token_ids';

/** Metadata of a GGUF file looked up by its full dotted key, with typed accessors whose errors name the file and key. */
export class GgufMetadata {
  constructor(
    readonly file: string,
    private readonly entries: ReadonlyMap<string, GgufValue>,
  ) {}

  /** Reads the header of `file` (the weights are not read). */
  static read(file: string): GgufMetadata {
    return GgufMetadata.of(readGgufHeader(file));
  }

  static of(header: GgufHeader): GgufMetadata {
    return new GgufMetadata(header.path, header.metadata);
  }

  /** The value at `key` with its GGUF type, or undefined. */
  entry(key: string): GgufValue | undefined {
    return this.entries.get(key);
  }

  /** The value at `key` (`llama.block_count`): a number, bigint (64-bit integers), boolean, string, array or typed array; undefined when absent. */
  get(key: string): unknown {
    return this.entries.get(key)?.value;
  }

  /** A numeric value; `fallback` when absent, an error when absent without fallback or not a number. */
  number(key: string, fallback?: number): number {
    const v = this.get(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new TrbenchError(`${this.file}: metadata key ${key} is missing`);
    }
    if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new TrbenchError(`${this.file}: metadata key ${key} should be a number, got ${describe(v)}`);
    return v;
  }

  /** A string value, or undefined when absent. */
  string(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new TrbenchError(`${this.file}: metadata key ${key} should be a string, got ${describe(v)}`);
    return v;
  }

  /** The extra stop tokens the file declares ([] when it declares none). */
  extraStopTokens(): number[] {
    const v = this.get(EXTRA_STOP_TOKENS_KEY);
    if (v === undefined) return [];
    const ids = isArrayLike(v) ? Array.from(v as ArrayLike<unknown>, (x) => (typeof x === 'bigint' ? Number(x) : x)) : null;
    if (!ids?.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
      throw new TrbenchError(`${this.file}: metadata ${EXTRA_STOP_TOKENS_KEY} should be an array of token ids, got ${describe(v)}`);
    }
    return [...new Set(ids as number[])].sort((a, b) => a - b);
  }
}

function isArrayLike(v: unknown): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return String(v);
  if (isArrayLike(v)) return `an array of ${(v as ArrayLike<unknown>).length}`;
  return JSON.stringify(v);
}
