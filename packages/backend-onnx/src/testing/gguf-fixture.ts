/**
 * Test support: rewrites a GGUF file with changed tensor types, dropped tensors or a changed
 * architecture, copying every other metadata pair with its GGUF type (through the project's one GGUF
 * reader and writer). Quantizers follow ggml's reference layouts (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`); both backends then read the same bytes.
 */
import { readFileSync } from 'node:fs';
import { encodeGgufHeader, type GgufValue, readGgufHeader } from '@trbench/assets';
import { GGML, QK } from '../dequantize.ts';

interface RawKv {
  key: string;
  value: GgufValue;
}
interface RawTensor {
  name: string;
  ne: number[];
  type: number;
  data: Buffer;
}

const BYTES_PER_ELEMENT: Record<number, number> = { [GGML.F32]: 4, [GGML.F16]: 2 };

/** Splits a GGUF file into its metadata pairs and tensors (F32/F16 payloads only: enough for fixtures). */
export function readRawGguf(path: string): { kvs: RawKv[]; tensors: RawTensor[] } {
  const header = readGgufHeader(path);
  const buf = readFileSync(path);
  const kvs = [...header.metadata].map(([key, value]) => ({ key, value }));
  const tensors = header.tensors.map((t) => {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.type];
    return { name: t.name, ne: [...t.shape].reverse(), type: t.type, data: buf.subarray(t.offset, t.offset + bytes) };
  });
  return { kvs, tensors };
}

/** A string metadata pair. */
export function stringKv(key: string, value: string): RawKv {
  return { key, value: { type: 'string', value } };
}

/** Serializes a GGUF v3 file (32-byte alignment: a `general.alignment` pair is dropped). */
export function writeRawGguf(kvs: RawKv[], tensors: RawTensor[]): Buffer {
  const metadata = kvs.filter((kv) => kv.key !== 'general.alignment').map((kv): [string, GgufValue] => [kv.key, kv.value]);
  const w = encodeGgufHeader(
    metadata,
    tensors.map((t) => ({ name: t.name, shape: [...t.ne].reverse(), type: t.type, bytes: t.data.length })),
  );
  const pad = (n: number) => Buffer.alloc((32 - (n % 32)) % 32);
  const parts: Buffer[] = [w.result()];
  for (const t of tensors) parts.push(t.data, pad(t.data.length));
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
