import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';
import { GGUF_TYPE, type GgufValue } from './gguf-writer.ts';
import { GGML_TYPE, type GgmlTypeId, typeBytes } from './quantize.ts';

/** One tensor of a GGUF directory. */
export interface GgufSourceTensor {
  name: string;
  /** Row-major shape, outermost first (GGUF's `ne` reversed). */
  shape: number[];
  type: number;
  /** Absolute byte offset of the payload in the file. */
  offset: number;
}

/** Header of a GGUF file: metadata with its GGUF value types kept (so it can be written again) and the tensor directory. */
export interface GgufHeader {
  path: string;
  metadata: Map<string, GgufValue>;
  tensors: GgufSourceTensor[];
}

/** Reads bytes of a file sequentially, pulling more from disk as the parser needs them. */
class FileCursor {
  private buf = Buffer.alloc(1 << 16);
  private start = 0; // file offset of buf[0]
  private end = 0; // valid bytes in buf
  pos = 0; // absolute file offset

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly file: string,
  ) {}

  private need(n: number): number {
    if (this.pos + n > this.size) throw new TrbenchError(`${this.file}: GGUF header runs past the end of the file (truncated?)`);
    if (this.pos >= this.start && this.pos + n <= this.start + this.end) return this.pos - this.start;
    if (n > this.buf.length) this.buf = Buffer.alloc(n * 2);
    this.start = this.pos;
    this.end = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.size - this.pos), this.pos);
    return 0;
  }
  u8(): number {
    const o = this.need(1);
    this.pos += 1;
    return this.buf[o];
  }
  u32(): number {
    const o = this.need(4);
    this.pos += 4;
    return this.buf.readUInt32LE(o);
  }
  i32(): number {
    const o = this.need(4);
    this.pos += 4;
    return this.buf.readInt32LE(o);
  }
  f32(): number {
    const o = this.need(4);
    this.pos += 4;
    return this.buf.readFloatLE(o);
  }
  u64(): number {
    const o = this.need(8);
    this.pos += 8;
    const v = this.buf.readBigUInt64LE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TrbenchError(`${this.file}: GGUF header has an implausible 64-bit value ${v}`);
    return Number(v);
  }
  str(): string {
    const len = this.u64();
    const o = this.need(len);
    this.pos += len;
    return this.buf.toString('utf8', o, o + len);
  }
}

const TYPE_NAME: Record<number, string> = Object.fromEntries(Object.entries(GGUF_TYPE).map(([k, v]) => [v, k]));

function readValue(c: FileCursor, type: number, key: string, file: string): GgufValue {
  const unsupported = (what: string) =>
    new TrbenchError(
      `${file}: metadata key ${key} has type ${what}, which trbench cannot copy (u32, i32, f32, bool, string and their arrays)`,
    );
  switch (type) {
    case GGUF_TYPE.UINT32:
      return { type: 'u32', value: c.u32() };
    case GGUF_TYPE.INT32:
      return { type: 'i32', value: c.i32() };
    case GGUF_TYPE.FLOAT32:
      return { type: 'f32', value: c.f32() };
    case GGUF_TYPE.BOOL:
      return { type: 'bool', value: c.u8() !== 0 };
    case GGUF_TYPE.STRING:
      return { type: 'string', value: c.str() };
    case GGUF_TYPE.ARRAY: {
      const inner = c.u32();
      const n = c.u64();
      if (inner === GGUF_TYPE.STRING) return { type: 'string[]', value: Array.from({ length: n }, () => c.str()) };
      if (inner === GGUF_TYPE.FLOAT32) {
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = c.f32();
        return { type: 'f32[]', value: a };
      }
      if (inner === GGUF_TYPE.INT32) {
        const a = new Int32Array(n);
        for (let i = 0; i < n; i++) a[i] = c.i32();
        return { type: 'i32[]', value: a };
      }
      throw unsupported(`array of ${TYPE_NAME[inner] ?? inner}`);
    }
    default:
      throw unsupported(TYPE_NAME[type] ?? String(type));
  }
}

/** Parses the header of a GGUF v3 file (metadata and tensor directory), reading only what the header needs. */
export function readGgufHeader(file: string): GgufHeader {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const c = new FileCursor(fd, size, file);
    const magic = [c.u8(), c.u8(), c.u8(), c.u8()];
    if (String.fromCharCode(...magic) !== 'GGUF')
      throw new TrbenchError(`not a GGUF file: ${file} (expected the bytes "GGUF" at the start)`);
    const version = c.u32();
    if (version !== 3) throw new TrbenchError(`${file}: GGUF version ${version}, expected 3`);
    const nTensors = c.u64();
    const nKv = c.u64();
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
      const key = c.str();
      metadata.set(key, readValue(c, c.u32(), key, file));
    }
    const raw: Array<{ name: string; shape: number[]; type: number; rel: number }> = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str();
      const dims = c.u32();
      const ne = Array.from({ length: dims }, () => c.u64());
      raw.push({ name, shape: ne.reverse(), type: c.u32(), rel: c.u64() });
    }
    const alignEntry = metadata.get('general.alignment');
    const alignment = alignEntry?.type === 'u32' ? alignEntry.value : 32;
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    const tensors = raw.map((t) => ({ name: t.name, shape: t.shape, type: t.type, offset: dataStart + t.rel }));
    return { path: file, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

/** Reads an F32 or F16 tensor as float32 (the source models trbench derives from are F32). */
export function readTensorF32(header: GgufHeader, name: string): Float32Array {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) throw new TrbenchError(`${header.path}: tensor ${name} is missing`);
  if (t.type !== GGML_TYPE.F32 && t.type !== GGML_TYPE.F16)
    throw new TrbenchError(`${header.path}: tensor ${name} has ggml type ${t.type}; only F32 and F16 sources can be derived from`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const bytes = Buffer.alloc(typeBytes(t.type as GgmlTypeId, n));
  const fd = openSync(header.path, 'r');
  try {
    for (let done = 0; done < bytes.length; ) {
      const got = readSync(fd, bytes, done, bytes.length - done, t.offset + done);
      if (got === 0) throw new TrbenchError(`${header.path}: unexpected end of file in tensor ${name}`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  const out = new Float32Array(n);
  if (t.type === GGML_TYPE.F32) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
