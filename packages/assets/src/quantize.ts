/**
 * Encoders from float32 to the ggml tensor types trbench writes: F32, F16, Q8_0 and Q4_0, bit for bit
 * what ggml's reference quantisers produce (`quantize_row_q8_0_ref` / `quantize_row_q4_0_ref` in
 * ggml-quants.c, which `llama-quantize` uses when no importance matrix is given; `GGML_FP32_TO_FP16`
 * rounds to nearest even). ggml computes in float32, so every intermediate here goes through
 * `Math.fround`, and C's `roundf` (halves away from zero) and `(int8_t)` (truncation) are reproduced.
 */

/** ggml type ids (ggml.h) of the tensor payloads trbench writes. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlTypeId = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

/** Weight types a model spec may ask for, by their usual lower-case names. */
export const WEIGHT_TYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type WeightType = (typeof WEIGHT_TYPES)[number];

export const WEIGHT_TYPE_ID: Record<WeightType, GgmlTypeId> = {
  f32: GGML_TYPE.F32,
  f16: GGML_TYPE.F16,
  q8_0: GGML_TYPE.Q8_0,
  q4_0: GGML_TYPE.Q4_0,
};

/** `general.file_type` (llama_ftype) of a model whose weights are mostly of this type. */
export const FILE_TYPE: Record<WeightType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };

/** Elements per block of Q8_0 and Q4_0. */
export const QK = 32;
const Q8_0_BLOCK_BYTES = 34;
const Q4_0_BLOCK_BYTES = 18;

/** Elements per block (1 for the float types). */
export function blockSize(type: GgmlTypeId): number {
  return type === GGML_TYPE.Q8_0 || type === GGML_TYPE.Q4_0 ? QK : 1;
}

/** Bytes `elements` values of `type` take; `elements` must be a multiple of the block size. */
export function typeBytes(type: GgmlTypeId, elements: number): number {
  switch (type) {
    case GGML_TYPE.F32:
      return elements * 4;
    case GGML_TYPE.F16:
      return elements * 2;
    case GGML_TYPE.Q8_0:
      return (elements / QK) * Q8_0_BLOCK_BYTES;
    case GGML_TYPE.Q4_0:
      return (elements / QK) * Q4_0_BLOCK_BYTES;
  }
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** float32 → IEEE half bits, rounding to nearest even (overflow → ±inf, NaN stays NaN), as ggml does. */
export function floatToHalf(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^-24 with m = (1.mant) · 2^(exp-126), i.e. mant >> (14 - e).
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to +inf).
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

/** C's roundf: nearest integer, halves away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** `quantize_row_q8_0_ref` on `n` values (a multiple of 32) of `src` from `srcOff`, into `dst` at `dstOff`. */
export function quantizeQ8_0(src: Float32Array, srcOff: number, n: number, dst: Uint8Array, dstOff: number): void {
  const fr = Math.fround;
  for (let b = 0; b < n; b += QK, dstOff += Q8_0_BLOCK_BYTES) {
    const base = srcOff + b;
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const v = Math.abs(src[base + j]);
      if (v > amax) amax = v;
    }
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    const h = floatToHalf(d);
    dst[dstOff] = h & 0xff;
    dst[dstOff + 1] = h >>> 8;
    for (let j = 0; j < QK; j++) dst[dstOff + 2 + j] = roundf(fr(src[base + j] * id)) & 0xff;
  }
}

/** `quantize_row_q4_0_ref` on `n` values (a multiple of 32) of `src` from `srcOff`, into `dst` at `dstOff`. */
export function quantizeQ4_0(src: Float32Array, srcOff: number, n: number, dst: Uint8Array, dstOff: number): void {
  const fr = Math.fround;
  for (let b = 0; b < n; b += QK, dstOff += Q4_0_BLOCK_BYTES) {
    const base = srcOff + b;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[base + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    const h = floatToHalf(d);
    dst[dstOff] = h & 0xff;
    dst[dstOff + 1] = h >>> 8;
    for (let j = 0; j < QK / 2; j++) {
      // (int8_t)(x + 8.5f): float32 sum, then truncation toward zero; ggml then caps at 15.
      const x0 = Math.trunc(fr(fr(src[base + j] * id) + 8.5));
      const x1 = Math.trunc(fr(fr(src[base + QK / 2 + j] * id) + 8.5));
      dst[dstOff + 2 + j] = Math.min(15, x0) | (Math.min(15, x1) << 4);
    }
  }
}

/**
 * Encodes `n` float32 values (`src` from `srcOff`) as `type` into `dst` at byte `dstOff` (little-endian);
 * returns the bytes written. `n` must be a multiple of the type's block size.
 */
export function encodeValues(type: GgmlTypeId, src: Float32Array, srcOff: number, n: number, dst: Uint8Array, dstOff: number): number {
  switch (type) {
    case GGML_TYPE.F32: {
      dst.set(new Uint8Array(src.buffer, src.byteOffset + srcOff * 4, n * 4), dstOff);
      return n * 4;
    }
    case GGML_TYPE.F16:
      for (let i = 0; i < n; i++) {
        const h = floatToHalf(src[srcOff + i]);
        dst[dstOff + 2 * i] = h & 0xff;
        dst[dstOff + 2 * i + 1] = h >>> 8;
      }
      return n * 2;
    case GGML_TYPE.Q8_0:
      quantizeQ8_0(src, srcOff, n, dst, dstOff);
      return typeBytes(type, n);
    case GGML_TYPE.Q4_0:
      quantizeQ4_0(src, srcOff, n, dst, dstOff);
      return typeBytes(type, n);
  }
}

/** Encodes a whole float32 array as `type` (a fresh buffer). */
export function encodeTensorData(type: GgmlTypeId, src: Float32Array): Uint8Array {
  const out = new Uint8Array(typeBytes(type, src.length));
  encodeValues(type, src, 0, src.length, out, 0);
  return out;
}

/**
 * The type a weight tensor gets in a model of weight type `type`, following llama-quantize's rules where
 * the ONNX backend can read the result: vectors (norms) stay F32; the token embedding of a Q4_0 model is
 * Q8_0 (it doubles as the output layer when embeddings are tied, which llama.cpp keeps at higher
 * precision); a matrix whose rows are not a multiple of 32 falls back to F16.
 */
export function tensorTypeFor(name: string, shape: readonly number[], type: WeightType): GgmlTypeId {
  if (shape.length < 2) return GGML_TYPE.F32;
  const id = WEIGHT_TYPE_ID[type];
  if (blockSize(id) === 1) return id;
  if (shape[shape.length - 1] % QK !== 0) return GGML_TYPE.F16;
  if (type === 'q4_0' && (name === 'token_embd.weight' || name === 'output.weight')) return GGML_TYPE.Q8_0;
  return id;
}
