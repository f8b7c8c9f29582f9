import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Pacer, TrbenchError } from '@trbench/core';
import { ALIGNMENT, encodeGgufHeader, type GgufValue } from './gguf-writer.ts';
import { blockSize, type GgmlTypeId, typeBytes } from './quantize.ts';

/**
 * Where a tensor writes its payload: a fixed chunk buffer flushed to the file when full, so a model of
 * any size is written with flat memory. Producers reserve room, encode into `buf` at the returned
 * offset, then `advance`.
 */
export class ChunkSink {
  readonly buf: Uint8Array;
  private pos = 0;
  /** Bytes handed to the file so far (for progress). */
  flushed = 0;

  constructor(
    private readonly fd: number,
    capacity: number,
    private readonly onFlush: (bytes: number) => void,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  /** Makes room for `n` contiguous bytes (n ≤ capacity) and returns where they start in `buf`. */
  reserve(n: number): number {
    if (n > this.buf.length) throw new Error(`ChunkSink: ${n} bytes requested, capacity ${this.buf.length}`);
    if (this.pos + n > this.buf.length) this.flush();
    return this.pos;
  }
  /** Room left before the next flush. */
  available(): number {
    return this.buf.length - this.pos;
  }
  advance(n: number): void {
    this.pos += n;
  }
  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.flushed += this.pos;
    this.pos = 0;
    this.onFlush(this.flushed);
  }
}

/** A tensor to write: its directory entry and a producer that writes exactly its payload bytes. */
export interface StreamTensor {
  name: string;
  /** Row-major shape, outermost first. */
  shape: number[];
  type: GgmlTypeId;
  write(sink: ChunkSink): void;
}

/** Bytes written so far and in all, after each flush. */
export type WriteProgress = (done: number, total: number) => void;

function tensorBytes(t: StreamTensor): number {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const inner = t.shape[t.shape.length - 1];
  if (inner % blockSize(t.type) !== 0) throw new Error(`tensor ${t.name}: rows of ${inner} are not a multiple of the type's block size`);
  return typeBytes(t.type, n);
}

const pad = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/** Size in bytes of the GGUF file {@link writeGgufStream} would write. */
export function ggufStreamSize(metadata: Array<[string, GgufValue]>, tensors: StreamTensor[]): number {
  return encodeHeader(metadata, tensors).length + tensors.reduce((a, t) => a + pad(tensorBytes(t)), 0);
}

function encodeHeader(metadata: Array<[string, GgufValue]>, tensors: StreamTensor[]): Buffer {
  return encodeGgufHeader(
    metadata,
    tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, bytes: tensorBytes(t) })),
  ).result();
}

/** Throws a TrbenchError when the file system holding `dir` has less than `bytes` (+64 MiB) free. */
export function assertFreeSpace(dir: string, bytes: number, what: string): void {
  mkdirSync(dir, { recursive: true });
  const st = statfsSync(dir);
  const free = Number(st.bavail) * Number(st.bsize);
  const needed = bytes + 64 * 2 ** 20;
  if (free < needed) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    throw new TrbenchError(
      `not enough disk space for ${what}: it needs ${gib(needed)} in ${dir}, only ${gib(free)} free (set TRBENCH_CACHE to a larger disk)`,
    );
  }
}

/**
 * Writes a GGUF v3 file tensor by tensor through a fixed buffer (memory stays flat in the model size):
 * free space is checked first, the file appears atomically (temporary sibling, fsync, rename) and
 * `onProgress` hears about every flushed chunk.
 */
export function writeGgufStream(
  file: string,
  metadata: Array<[string, GgufValue]>,
  tensors: StreamTensor[],
  options: { onProgress?: WriteProgress; chunkBytes?: number } = {},
): number {
  const steps = writeSteps(file, metadata, tensors, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link writeGgufStream} that hands the event loop a turn between tensors (every ~50 ms) and stops
 * there once `signal` is aborted: the temporary file is removed, nothing appears at `file`, and the
 * InterruptedError is rethrown.
 */
export async function writeGgufStreamAsync(
  file: string,
  metadata: Array<[string, GgufValue]>,
  tensors: StreamTensor[],
  options: { onProgress?: WriteProgress; chunkBytes?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const pacer = new Pacer(options.signal);
  const steps = writeSteps(file, metadata, tensors, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (!pacer.due()) continue;
    try {
      await pacer.pause();
    } catch (err) {
      // Thrown into the writer, whose cleanup closes the file and removes the temporary copy.
      steps.throw(err);
      throw err;
    }
  }
}

/** The writer, one tensor per step (the caller decides what happens between tensors). */
function* writeSteps(
  file: string,
  metadata: Array<[string, GgufValue]>,
  tensors: StreamTensor[],
  options: { onProgress?: WriteProgress; chunkBytes?: number },
): Generator<void, number, void> {
  const header = encodeHeader(metadata, tensors);
  const total = header.length + tensors.reduce((a, t) => a + pad(tensorBytes(t)), 0);
  assertFreeSpace(path.dirname(file), total, path.basename(file));
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const onProgress = options.onProgress ?? (() => {});
      const sink = new ChunkSink(fd, options.chunkBytes ?? 8 * 2 ** 20, (done) => onProgress(done, total));
      const start = sink.reserve(header.length);
      sink.buf.set(header, start);
      sink.advance(header.length);
      let written = header.length;
      for (const t of tensors) {
        const expected = tensorBytes(t);
        const before = sink.flushed + (sink.buf.length - sink.available());
        t.write(sink);
        const got = sink.flushed + (sink.buf.length - sink.available()) - before;
        if (got !== expected) throw new Error(`tensor ${t.name}: its producer wrote ${got} bytes, expected ${expected}`);
        const padding = pad(expected) - expected;
        if (padding > 0) {
          const o = sink.reserve(padding);
          sink.buf.fill(0, o, o + padding);
          sink.advance(padding);
        }
        written += pad(expected);
        yield;
      }
      sink.flush();
      if (written !== total) throw new Error(`wrote ${written} bytes, planned ${total}`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return total;
}
