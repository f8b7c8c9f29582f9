/**
 * Conversion of GGUF tensor payloads to float32, following ggml's reference layouts (ggml-common.h,
 * `dequantize_row_*` in ggml-quants.c). Only the types the ONNX backend accepts are here; the loader
 * refuses the others by name.
 */

/** ggml type ids (ggml.h) of the payloads this backend can read. */
export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;

/** Elements per quantization block of Q4_0 and Q8_0. */
export const QK = 32;

/** Bytes a tensor of `elements` values takes in the file, for the supported types. */
export function payloadBytes(type: number, elements: number): number {
  switch (type) {
    case GGML.F32:
      return elements * 4;
    case GGML.F16:
      return elements * 2;
    case GGML.Q8_0:
      return (elements / QK) * 34;
    case GGML.Q4_0:
      return (elements / QK) * 18;
    default:
      throw new RangeError(`unsupported ggml type ${type}`);
  }
}

const f16Scratch = new DataView(new ArrayBuffer(4));

/** IEEE 754 half → float (exact: every half is a float). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : Number.NaN;
  // Normal numbers: build the float32 bit pattern directly to avoid pow() per element.
  f16Scratch.setUint32(0, ((h & 0x8000) << 16) | ((exp + 112) << 23) | (mant << 13));
  return f16Scratch.getFloat32(0);
}

/**
 * Decodes `elements` values of ggml type `type` from `src` (little-endian file bytes) into `dst`.
 * `elements` must be a multiple of 32 for the block types; the caller checks shapes.
 */
export function dequantize(type: number, src: Uint8Array, elements: number, dst: Float32Array): void {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (type) {
    case GGML.F32:
      // A byte copy: GGUF is little-endian, as is every platform onnxruntime-node ships for.
      new Uint8Array(dst.buffer, dst.byteOffset, elements * 4).set(src.subarray(0, elements * 4));
      return;
    case GGML.F16:
      for (let i = 0; i < elements; i++) dst[i] = halfToFloat(view.getUint16(i * 2, true));
      return;
    case GGML.Q8_0:
      // block: f16 scale d, then 32 int8 quants; x = q * d
      for (let o = 0, out = 0; out < elements; o += 34) {
        const d = halfToFloat(view.getUint16(o, true));
        for (let j = 0; j < QK; j++) dst[out++] = view.getInt8(o + 2 + j) * d;
      }
      return;
    case GGML.Q4_0:
      // block: f16 scale d, then 16 bytes; low nibbles are elements 0..15, high nibbles 16..31; x = (q - 8) * d
      for (let o = 0, out = 0; out < elements; o += 18, out += QK) {
        const d = halfToFloat(view.getUint16(o, true));
        for (let j = 0; j < QK / 2; j++) {
          const q = src[o + 2 + j];
          dst[out + j] = ((q & 0x0f) - 8) * d;
          dst[out + j + QK / 2] = ((q >>> 4) - 8) * d;
        }
      }
      return;
    default:
      throw new RangeError(`unsupported ggml type ${type}`);
  }
}
