/** GGUF value types (gguf.h). */
export const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** ggml tensor types this writer can emit. */
export const GGML_TENSOR_TYPE = { F32: 0 } as const;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'f32[]'; value: ArrayLike<number> }
  | { type: 'i32[]'; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** Row-major shape, outermost first (GGUF stores it reversed as `ne`). */
  shape: number[];
  data: Float32Array;
}

/** Alignment of tensor payloads (GGUF's default `general.alignment`). */
export const ALIGNMENT = 32;

/** Little-endian byte sink that grows as needed. */
export class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = Buffer.alloc(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      w.u32(GGUF_TYPE.UINT32);
      w.u32(v.value);
      return;
    case 'i32':
      w.u32(GGUF_TYPE.INT32);
      w.i32(v.value);
      return;
    case 'f32':
      w.u32(GGUF_TYPE.FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(GGUF_TYPE.BOOL);
      w.u8(v.value ? 1 : 0);
      return;
    case 'string':
      w.u32(GGUF_TYPE.STRING);
      w.str(v.value);
      return;
    case 'string[]':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case 'f32[]':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.FLOAT32);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) w.f32(v.value[i]);
      return;
    case 'i32[]':
      w.u32(GGUF_TYPE.ARRAY);
      w.u32(GGUF_TYPE.INT32);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) w.i32(v.value[i]);
      return;
  }
}

/** A tensor's directory entry: what the header says of it (its payload is written by the caller). */
export interface GgufTensorEntry {
  name: string;
  /** Row-major shape, outermost first (GGUF stores it reversed as `ne`). */
  shape: number[];
  /** ggml tensor type id. */
  type: number;
  /** Payload size in bytes (each payload starts 32-byte aligned). */
  bytes: number;
}

/**
 * The header of a GGUF v3 file — magic, version, metadata in the given order, the tensor directory with
 * 32-byte aligned offsets — padded to where the first payload starts. Payloads follow in directory order,
 * each padded to the alignment.
 */
export function encodeGgufHeader(metadata: Array<[string, GgufValue]>, tensors: GgufTensorEntry[]): ByteWriter {
  const w = new ByteWriter();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.str(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) w.u64(t.shape[d]);
    w.u32(t.type);
    w.u64(offset);
    offset += Math.ceil(t.bytes / ALIGNMENT) * ALIGNMENT;
  }
  w.pad(ALIGNMENT);
  return w;
}

/** Serialises a GGUF v3 file with F32 tensors, metadata in the given order, tensors 32-byte aligned. */
export function encodeGguf(metadata: Array<[string, GgufValue]>, tensors: GgufTensor[]): Buffer {
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length)
      throw new Error(`tensor ${t.name}: shape [${t.shape}] has ${elements} elements, data has ${t.data.length}`);
  }
  const entries = tensors.map((t) => ({ name: t.name, shape: t.shape, type: GGML_TENSOR_TYPE.F32, bytes: t.data.byteLength }));
  const w = encodeGgufHeader(metadata, entries);
  for (const t of tensors) {
    w.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.pad(ALIGNMENT);
  }
  return w.result();
}
