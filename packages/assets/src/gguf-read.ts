import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';
import { GGUF_SCALARS, GGUF_TYPE, type GgufValue, ggufScalarOf } from './gguf-writer.ts';
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

/**
 * Header of a GGUF file: metadata with its GGUF value types kept (so it can be written again) and the
 * tensor directory. The one GGUF reader of the project: assets, both backends and the runner read through it.
 */
export interface GgufHeader {
  path: string;
  /** GGUF format version (2 or 3: same layout). */
  version: number;
  /** Metadata in file order. */
  metadata: Map<string, GgufValue>;
  tensors: GgufSourceTensor[];
  /** Size of the file in bytes. */
  fileSize: number;
}

const NOT_GGUF = (file: string, why: string) => new TrbenchError(`${file} is not a readable GGUF file: ${why}`);

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
    if (this.pos + n > this.size) throw NOT_GGUF(this.file, 'its header runs past the end of the file (truncated?)');
    if (this.pos >= this.start && this.pos + n <= this.start + this.end) return this.pos - this.start;
    if (n > this.buf.length) this.buf = Buffer.alloc(n * 2);
    this.start = this.pos;
    this.end = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.size - this.pos), this.pos);
    return 0;
  }
  scalar<K extends keyof typeof GGUF_SCALARS>(type: K): ReturnType<(typeof GGUF_SCALARS)[K]['read']> {
    const codec = GGUF_SCALARS[type];
    const o = this.need(codec.bytes);
    this.pos += codec.bytes;
    return codec.read(this.buf, o) as ReturnType<(typeof GGUF_SCALARS)[K]['read']>;
  }
  u32(): number {
    return this.scalar('u32');
  }
  /** A 64-bit count or offset: must fit a JS number. */
  u64(): number {
    const v = this.scalar('u64');
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw NOT_GGUF(this.file, `its header has an implausible 64-bit size ${v}`);
    return Number(v);
  }
  /** A count of `n` elements of at least `bytes` each: must fit in what is left of the file. */
  count(n: number, bytes: number): number {
    if (n * bytes > this.size - this.pos) throw NOT_GGUF(this.file, `its header declares ${n} elements past the end of the file`);
    return n;
  }
  str(): string {
    const len = this.u64();
    const o = this.need(len);
    this.pos += len;
    return this.buf.toString('utf8', o, o + len);
  }
}

const TYPE_NAME: Record<number, string> = Object.fromEntries(Object.entries(GGUF_TYPE).map(([k, v]) => [v, k]));

/** Typed array that holds a GGUF numeric array of each element type. */
const ARRAY_OF = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
  u64: BigUint64Array,
  i64: BigInt64Array,
} as const;

function readValue(c: FileCursor, code: number, key: string, file: string): GgufValue {
  const unknown = (what: string) => NOT_GGUF(file, `metadata key ${key} has ${what}, which is not a GGUF value type`);
  if (code === GGUF_TYPE.STRING) return { type: 'string', value: c.str() };
  if (code === GGUF_TYPE.ARRAY) {
    const innerCode = c.u32();
    const n = c.count(c.u64(), innerCode === GGUF_TYPE.STRING ? 8 : 1);
    if (innerCode === GGUF_TYPE.STRING) {
      const value: string[] = new Array(n);
      for (let i = 0; i < n; i++) value[i] = c.str();
      return { type: 'string[]', value };
    }
    const inner = ggufScalarOf(innerCode);
    if (inner === undefined) {
      // Arrays of arrays are legal GGUF but no model key uses them; refuse by name rather than guess.
      throw new TrbenchError(
        `${file}: metadata key ${key} is an array of ${TYPE_NAME[innerCode] ?? `type ${innerCode}`}, which trbench does not read`,
      );
    }
    if (inner === 'bool') {
      const value: boolean[] = new Array(n);
      for (let i = 0; i < n; i++) value[i] = c.scalar('bool');
      return { type: 'bool[]', value };
    }
    const value = new ARRAY_OF[inner](n);
    for (let i = 0; i < n; i++) (value as { [i: number]: number | bigint })[i] = c.scalar(inner);
    return { type: `${inner}[]`, value } as GgufValue;
  }
  const scalar = ggufScalarOf(code);
  if (scalar === undefined) throw unknown(`type code ${code}`);
  return { type: scalar, value: c.scalar(scalar) } as GgufValue;
}

/** Parses the header of a GGUF v2/v3 file (metadata and tensor directory), reading only what the header needs. */
export function readGgufHeader(file: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new TrbenchError(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const fileSize = fstatSync(fd).size;
    const c = new FileCursor(fd, fileSize, file);
    if (fileSize < 4 || String.fromCharCode(c.scalar('u8'), c.scalar('u8'), c.scalar('u8'), c.scalar('u8')) !== 'GGUF')
      throw NOT_GGUF(file, 'it does not start with the bytes "GGUF"');
    const version = c.u32();
    if (version !== 2 && version !== 3) throw NOT_GGUF(file, `GGUF version ${version}, expected 2 or 3`);
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
    return { path: file, version, metadata, tensors, fileSize };
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
