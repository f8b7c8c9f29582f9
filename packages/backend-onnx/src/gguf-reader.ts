import { closeSync, openSync, readSync } from 'node:fs';
import { type GgufHeader, GgufMetadata, readGgufHeader } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { dequantize, GGML, payloadBytes, QK } from './dequantize.ts';

const TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  30: 'BF16',
};

/** Name of a ggml type id, for messages. */
export function ggmlTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `ggml type ${type}`;
}

/** One tensor as listed in the GGUF header. */
export interface GgufTensorEntry {
  readonly name: string;
  /** ggml `ne`: innermost dimension first (the row-major shape reversed). */
  readonly ne: readonly number[];
  readonly type: number;
  /** Byte offset of the payload from the start of the file. */
  readonly fileOffset: number;
}

/**
 * A GGUF file opened for reading weights. Metadata and the tensor directory come from the project's one
 * GGUF reader (`readGgufHeader` in @trbench/assets); tensor payloads are read here and converted to float32
 * (F32, F16, Q8_0 and Q4_0; anything else is refused by name).
 */
export class GgufFile {
  readonly path: string;
  readonly metadata: GgufMetadata;
  private readonly tensors: Map<string, GgufTensorEntry>;
  private readonly fileSize: number;
  private fd: number;

  private constructor(header: GgufHeader, fd: number) {
    this.path = header.path;
    this.metadata = GgufMetadata.of(header);
    this.tensors = new Map(
      header.tensors.map((t) => [t.name, { name: t.name, ne: [...t.shape].reverse(), type: t.type, fileOffset: t.offset }]),
    );
    this.fd = fd;
    this.fileSize = header.fileSize;
  }

  /** Reads the header of `path`; the file stays open for {@link readTensor} until {@link close}. */
  static async open(path: string): Promise<GgufFile> {
    const file = new GgufFile(readGgufHeader(path), openSync(path, 'r'));
    const parts = file.number('split.count', 1);
    if (parts > 1) {
      file.close();
      throw new TrbenchError(
        `${path} is part of a ${parts}-file split GGUF; the onnx backend reads single-file models only (merge it with llama-gguf-split)`,
      );
    }
    return file;
  }

  /** Metadata value at a dotted key (`llama.attention.head_count`), or undefined. */
  get(key: string): unknown {
    return this.metadata.get(key);
  }

  /** A numeric metadata value; `fallback` when absent, an error when absent without fallback or not a number. */
  number(key: string, fallback?: number): number {
    return this.metadata.number(key, fallback);
  }

  /** A string metadata value, or undefined when absent. */
  string(key: string): string | undefined {
    return this.metadata.string(key);
  }

  /** Directory entry of a tensor, or undefined. */
  tensor(name: string): GgufTensorEntry | undefined {
    return this.tensors.get(name);
  }

  /**
   * Reads tensor `name` as float32, checking its `ne` against `expectedNe` (innermost first).
   * Errors name the file, the tensor and what was expected.
   */
  readTensor(name: string, expectedNe: readonly number[]): Float32Array {
    const t = this.tensors.get(name);
    if (!t) throw new TrbenchError(`${this.path}: tensor ${name} is missing (expected shape ne=[${expectedNe.join(', ')}])`);
    if (t.ne.length !== expectedNe.length || t.ne.some((d, i) => d !== expectedNe[i])) {
      throw new TrbenchError(`${this.path}: tensor ${name} has shape ne=[${t.ne.join(', ')}], expected [${expectedNe.join(', ')}]`);
    }
    if (t.type !== GGML.F32 && t.type !== GGML.F16 && t.type !== GGML.Q8_0 && t.type !== GGML.Q4_0) {
      throw new TrbenchError(
        `${this.path}: tensor ${name} has type ${ggmlTypeName(t.type)}; the onnx backend reads F32, F16, Q8_0 and Q4_0 only`,
      );
    }
    const elements = t.ne.reduce((a, b) => a * b, 1);
    if ((t.type === GGML.Q8_0 || t.type === GGML.Q4_0) && t.ne[0] % QK !== 0) {
      throw new TrbenchError(
        `${this.path}: tensor ${name} is ${ggmlTypeName(t.type)} but its rows (${t.ne[0]}) are not a multiple of ${QK}`,
      );
    }
    const bytes = payloadBytes(t.type, elements);
    if (t.fileOffset + bytes > this.fileSize) {
      throw new TrbenchError(
        `${this.path}: tensor ${name} needs bytes ${t.fileOffset}..${t.fileOffset + bytes} but the file has ${this.fileSize} (truncated?)`,
      );
    }
    const raw = Buffer.allocUnsafe(bytes);
    for (let done = 0; done < bytes; ) {
      const got = readSync(this.fd, raw, done, bytes - done, t.fileOffset + done);
      if (got === 0) throw new TrbenchError(`${this.path}: unexpected end of file while reading tensor ${name}`);
      done += got;
    }
    const out = new Float32Array(elements);
    dequantize(t.type, raw, elements, out);
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
