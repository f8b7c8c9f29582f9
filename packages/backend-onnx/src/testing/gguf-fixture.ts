/**
 * Test support: rewrites a GGUF file with changed tensor types, dropped tensors or a changed
 * architecture, copying every other metadata pair byte for byte. Quantizers follow ggml's reference
 * layouts (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`); both backends then read the same bytes.
 */
import { readFileSync } from 'node:fs';
import { GGML, QK } from '../dequantize.ts';

interface RawKv {
  key: string;
  bytes: Buffer;
}
interface RawTensor {
  name: string;
  ne: number[];
  type: number;
  data: Buffer;
}

const GGUF_VALUE_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const BYTES_PER_ELEMENT: Record<number, number> = { [GGML.F32]: 4, [GGML.F16]: 2 };

/** Splits a GGUF file into raw metadata pairs and tensors (F32/F16 payloads only: enough for fixtures). */
export function readRawGguf(path: string): { kvs: RawKv[]; tensors: RawTensor[] } {
  const buf = readFileSync(path);
  let o = 8;
  const u32 = () => {
    o += 4;
    return buf.readUInt32LE(o - 4);
  };
  const u64 = () => {
    o += 8;
    return Number(buf.readBigUInt64LE(o - 8));
  };
  const str = () => {
    const n = u64();
    o += n;
    return buf.toString('utf8', o - n, o);
  };
  const skipValue = (type: number): void => {
    if (type === 8) str();
    else if (type === 9) {
      const inner = u32();
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(inner);
    } else o += GGUF_VALUE_SIZE[type];
  };
  const tensorCount = u64();
  const kvCount = u64();
  const kvs: RawKv[] = [];
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    const start = o;
    const key = str();
    const type = u32();
    if (key === 'general.alignment') alignment = buf.readUInt32LE(o);
    skipValue(type);
    kvs.push({ key, bytes: buf.subarray(start, o) });
  }
  const infos: { name: string; ne: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const dims = u32();
    const ne = Array.from({ length: dims }, () => u64());
    infos.push({ name, ne, type: u32(), offset: u64() });
  }
  const dataStart = Math.ceil(o / alignment) * alignment;
  const tensors = infos.map((t) => {
    const bytes = t.ne.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.type];
    return { name: t.name, ne: t.ne, type: t.type, data: buf.subarray(dataStart + t.offset, dataStart + t.offset + bytes) };
  });
  return { kvs, tensors };
}

/** Encodes a string metadata pair. */
export function stringKv(key: string, value: string): RawKv {
  const k = Buffer.from(key, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const b = Buffer.alloc(8 + k.length + 4 + 8 + v.length);
  let o = b.writeBigUInt64LE(BigInt(k.length), 0);
  o += k.copy(b, o);
  o = b.writeUInt32LE(8, o);
  o = b.writeBigUInt64LE(BigInt(v.length), o);
  v.copy(b, o);
  return { key, bytes: b };
}

/** Serializes a GGUF v3 file (32-byte alignment). */
export function writeRawGguf(kvs: RawKv[], tensors: RawTensor[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.write('GGUF', 0, 'ascii');
  head.writeUInt32LE(3, 4);
  head.writeBigUInt64LE(BigInt(tensors.length), 8);
  head.writeBigUInt64LE(BigInt(kvs.filter((kv) => kv.key !== 'general.alignment').length), 16);
  parts.push(head);
  for (const kv of kvs) if (kv.key !== 'general.alignment') parts.push(kv.bytes);
  let offset = 0;
  for (const t of tensors) {
    const name = Buffer.from(t.name, 'utf8');
    const info = Buffer.alloc(8 + name.length + 4 + 8 * t.ne.length + 4 + 8);
    let o = info.writeBigUInt64LE(BigInt(name.length), 0);
    o += name.copy(info, o);
    o = info.writeUInt32LE(t.ne.length, o);
    for (const d of t.ne) o = info.writeBigUInt64LE(BigInt(d), o);
    o = info.writeUInt32LE(t.type, o);
    info.writeBigUInt64LE(BigInt(offset), o);
    parts.push(info);
    offset += Math.ceil(t.data.length / 32) * 32;
  }
  const pad = (n: number) => Buffer.alloc((32 - (n % 32)) % 32);
  parts.push(pad(parts.reduce((a, b) => a + b.length, 0)));
  for (const t of tensors) {
    parts.push(t.data, pad(t.data.length));
  }
  return Buffer.concat(parts);
}

const f32 = new Float32Array(1);
const u32v = new Uint32Array(f32.buffer);

/** float → IEEE half, round to nearest even (as GGML_FP32_TO_FP16). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32v[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Encodes float32 values as ggml type `type` (F32, F16, Q8_0, Q4_0). */
export function encodeTensor(type: number, x: Float32Array): Buffer {
  const n = x.length;
  const fr = Math.fround;
  switch (type) {
    case GGML.F32:
      return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    case GGML.F16: {
      const b = Buffer.alloc(n * 2);
      for (let i = 0; i < n; i++) b.writeUInt16LE(floatToHalf(x[i]), i * 2);
      return b;
    }
    case GGML.Q8_0: {
      const b = Buffer.alloc((n / QK) * 34);
      for (let blk = 0; blk < n / QK; blk++) {
        let amax = 0;
        for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[blk * QK + j]));
        const d = fr(amax / 127);
        const id = d ? fr(1 / d) : 0;
        b.writeUInt16LE(floatToHalf(d), blk * 34);
        for (let j = 0; j < QK; j++) {
          const v = fr(x[blk * QK + j] * id);
          b.writeInt8(Math.sign(v) * Math.floor(Math.abs(v) + 0.5), blk * 34 + 2 + j);
        }
      }
      return b;
    }
    case GGML.Q4_0: {
      const b = Buffer.alloc((n / QK) * 18);
      for (let blk = 0; blk < n / QK; blk++) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < QK; j++) {
          const v = x[blk * QK + j];
          if (amax < Math.abs(v)) {
            amax = Math.abs(v);
            max = v;
          }
        }
        const d = fr(max / -8);
        const id = d ? fr(1 / d) : 0;
        b.writeUInt16LE(floatToHalf(d), blk * 18);
        for (let j = 0; j < QK / 2; j++) {
          const q0 = Math.min(15, Math.trunc(fr(fr(x[blk * QK + j] * id) + 8.5)));
          const q1 = Math.min(15, Math.trunc(fr(fr(x[blk * QK + QK / 2 + j] * id) + 8.5)));
          b[blk * 18 + 2 + j] = q0 | (q1 << 4);
        }
      }
      return b;
    }
    default:
      throw new RangeError(`cannot encode ggml type ${type}`);
  }
}

/** Float32 values of an F32 raw tensor. */
export function tensorFloats(t: RawTensor): Float32Array {
  if (t.type !== GGML.F32) throw new Error(`${t.name} is not F32`);
  return new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.length));
}
