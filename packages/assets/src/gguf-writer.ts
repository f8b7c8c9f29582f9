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

/** GGUF's numeric scalar types whose values fit a JS number. */
export type GgufNumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';
/** GGUF's 64-bit integer types, kept as bigint so every value round-trips. */
export type GgufBigIntType = 'u64' | 'i64';

/**
 * A metadata value with its GGUF type, so a file read by `readGgufHeader` can be written again byte for
 * byte. Arrays of numbers come back from the reader as the matching typed array.
 */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'bool[]'; value: ArrayLike<boolean> }
  | { type: `${GgufNumberType}[]`; value: ArrayLike<number> }
  | { type: `${GgufBigIntType}[]`; value: ArrayLike<bigint> };

type ScalarType = GgufNumberType | GgufBigIntType | 'bool';

/** How each fixed-size GGUF scalar is stored: its type code, size and little-endian codec. */
export const GGUF_SCALARS: {
  [K in ScalarType]: {
    code: number;
    bytes: number;
    read: (b: Buffer, o: number) => K extends GgufBigIntType ? bigint : K extends 'bool' ? boolean : number;
    write: (b: Buffer, v: K extends GgufBigIntType ? bigint : K extends 'bool' ? boolean : number, o: number) => void;
  };
} = {
  u8: { code: GGUF_TYPE.UINT8, bytes: 1, read: (b, o) => b.readUInt8(o), write: (b, v, o) => b.writeUInt8(v, o) },
  i8: { code: GGUF_TYPE.INT8, bytes: 1, read: (b, o) => b.readInt8(o), write: (b, v, o) => b.writeInt8(v, o) },
  u16: { code: GGUF_TYPE.UINT16, bytes: 2, read: (b, o) => b.readUInt16LE(o), write: (b, v, o) => b.writeUInt16LE(v, o) },
  i16: { code: GGUF_TYPE.INT16, bytes: 2, read: (b, o) => b.readInt16LE(o), write: (b, v, o) => b.writeInt16LE(v, o) },
  u32: { code: GGUF_TYPE.UINT32, bytes: 4, read: (b, o) => b.readUInt32LE(o), write: (b, v, o) => b.writeUInt32LE(v, o) },
  i32: { code: GGUF_TYPE.INT32, bytes: 4, read: (b, o) => b.readInt32LE(o), write: (b, v, o) => b.writeInt32LE(v, o) },
  f32: { code: GGUF_TYPE.FLOAT32, bytes: 4, read: (b, o) => b.readFloatLE(o), write: (b, v, o) => b.writeFloatLE(v, o) },
  f64: { code: GGUF_TYPE.FLOAT64, bytes: 8, read: (b, o) => b.readDoubleLE(o), write: (b, v, o) => b.writeDoubleLE(v, o) },
  u64: { code: GGUF_TYPE.UINT64, bytes: 8, read: (b, o) => b.readBigUInt64LE(o), write: (b, v, o) => b.writeBigUInt64LE(v, o) },
  i64: { code: GGUF_TYPE.INT64, bytes: 8, read: (b, o) => b.readBigInt64LE(o), write: (b, v, o) => b.writeBigInt64LE(v, o) },
  bool: { code: GGUF_TYPE.BOOL, bytes: 1, read: (b, o) => b.readUInt8(o) !== 0, write: (b, v, o) => b.writeUInt8(v ? 1 : 0, o) },
};

/** The scalar type stored under a GGUF type code (undefined for strings, arrays and unknown codes). */
export function ggufScalarOf(code: number): ScalarType | undefined {
  for (const k of Object.keys(GGUF_SCALARS) as ScalarType[]) if (GGUF_SCALARS[k].code === code) return k;
  return undefined;
}

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
  /** Writes one fixed-size GGUF scalar (`u8` … `f64`, `bool`). */
  scalar<K extends ScalarType>(type: K, v: Parameters<(typeof GGUF_SCALARS)[K]['write']>[1]): void {
    const codec = GGUF_SCALARS[type] as { bytes: number; write: (b: Buffer, v: unknown, o: number) => void };
    this.ensure(codec.bytes);
    codec.write(this.buf, v, this.length);
    this.length += codec.bytes;
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

/** Writes a metadata value: its GGUF type code, then the value (arrays: element type, count, elements). */
export function writeValue(w: ByteWriter, v: GgufValue): void {
  if (v.type === 'string') {
    w.u32(GGUF_TYPE.STRING);
    w.str(v.value);
    return;
  }
  if (v.type === 'string[]') {
    w.u32(GGUF_TYPE.ARRAY);
    w.u32(GGUF_TYPE.STRING);
    w.u64(v.value.length);
    for (const s of v.value) w.str(s);
    return;
  }
  if (v.type.endsWith('[]')) {
    const inner = v.type.slice(0, -2) as ScalarType;
    const values = v.value as ArrayLike<never>;
    w.u32(GGUF_TYPE.ARRAY);
    w.u32(GGUF_SCALARS[inner].code);
    w.u64(values.length);
    for (let i = 0; i < values.length; i++) w.scalar(inner, values[i]);
    return;
  }
  const scalar = v.type as ScalarType;
  w.u32(GGUF_SCALARS[scalar].code);
  w.scalar(scalar, v.value as never);
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
