import { floatToHalf, GGML_TYPE, type GgmlTypeId, quantizeQ4_0, quantizeQ8_0 } from '../quantize.ts';

/**
 * Seed of every twin's random weights. Each tensor draws from its own xoshiro128** stream, seeded with
 * splitmix32 from this seed and an FNV-1a hash of the tensor's name, so a tensor's bytes depend only on
 * the spec and its name, never on generation order.
 */
export const TWIN_SEED = 0x74776e31; // "twn1"

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * xoshiro128** (Blackman & Vigna): 32-bit outputs, period 2^128 − 1. Fill loops keep the state in
 * locals, so a stream costs a few integer operations per 4 output bytes.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream: string) {
    let x = (seed ^ fnv1a(stream)) >>> 0;
    const splitmix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix() | 1; // never the all-zero state
  }

  next(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /**
   * Writes `elements` random weights of `type` into `dst` at `off` (a multiple of the block size for
   * Q8_0/Q4_0); returns the bytes written. Magnitudes are about 0.002–0.03, as in trained LLMs, so
   * nothing overflows in F16: float types get a random sign, one of the exponents 2^-9..2^-6 and a
   * random mantissa; block types get a fixed scale and uniform random quants.
   */
  fill(type: GgmlTypeId, dst: Uint8Array, off: number, elements: number): number {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    let o = off;
    // Each loop below inlines one step of next() (r = its output) to keep the state in registers.
    switch (type) {
      case GGML_TYPE.F32:
        if (((dst.byteOffset + o) & 3) === 0) {
          // Aligned (the usual case: rows and tensors start on 4-byte boundaries): whole words at once.
          const words = new Uint32Array(dst.buffer, dst.byteOffset + o, elements);
          for (let i = 0; i < elements; i++) {
            const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
            const t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 11) | (s3 >>> 21);
            words[i] = ((r & 1) << 31) | ((118 + ((r >>> 1) & 3)) << 23) | (r >>> 9);
          }
          o += elements * 4;
          break;
        }
        for (let i = 0; i < elements; i++) {
          const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
          const t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = (s3 << 11) | (s3 >>> 21);
          // sign (bit 0), exponent 118..121 (bits 1-2), 23-bit mantissa (bits 9-31)
          const bits = ((r & 1) << 31) | ((118 + ((r >>> 1) & 3)) << 23) | (r >>> 9);
          dst[o] = bits & 0xff;
          dst[o + 1] = (bits >>> 8) & 0xff;
          dst[o + 2] = (bits >>> 16) & 0xff;
          dst[o + 3] = bits >>> 24;
          o += 4;
        }
        break;
      case GGML_TYPE.F16:
        if (((dst.byteOffset + o) & 3) === 0 && elements % 2 === 0) {
          const words = new Uint32Array(dst.buffer, dst.byteOffset + o, elements / 2);
          for (let i = 0; i < words.length; i++) {
            const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
            const t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 11) | (s3 >>> 21);
            // Same bits as the byte path below: the low half is the first element (little-endian).
            words[i] =
              ((r & 1) << 15) |
              ((6 + ((r >>> 1) & 3)) << 10) |
              ((r >>> 3) & 0x3ff) |
              (((((r >>> 13) & 1) << 15) | ((6 + ((r >>> 14) & 3)) << 10) | ((r >>> 16) & 0x3ff)) << 16);
          }
          o += elements * 2;
          break;
        }
        for (let i = 0; i < elements; i += 2) {
          const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
          const t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = (s3 << 11) | (s3 >>> 21);
          // two halves of 13 random bits each: sign, exponent 6..9 (2^-9..2^-6), 10-bit mantissa
          const a = ((r & 1) << 15) | ((6 + ((r >>> 1) & 3)) << 10) | ((r >>> 3) & 0x3ff);
          const b = (((r >>> 13) & 1) << 15) | ((6 + ((r >>> 14) & 3)) << 10) | ((r >>> 16) & 0x3ff);
          dst[o] = a & 0xff;
          dst[o + 1] = a >>> 8;
          if (i + 1 < elements) {
            dst[o + 2] = b & 0xff;
            dst[o + 3] = b >>> 8;
            o += 4;
          } else o += 2;
        }
        break;
      case GGML_TYPE.Q8_0:
      case GGML_TYPE.Q4_0: {
        const q8 = type === GGML_TYPE.Q8_0;
        const d = q8 ? Q8_SCALE : Q4_SCALE;
        const quantBytes = q8 ? 32 : 16;
        for (let i = 0; i < elements; i += 32) {
          dst[o] = d & 0xff;
          dst[o + 1] = d >>> 8;
          o += 2;
          for (let j = 0; j < quantBytes; j += 4) {
            const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
            const t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 11) | (s3 >>> 21);
            dst[o] = r & 0xff;
            dst[o + 1] = (r >>> 8) & 0xff;
            dst[o + 2] = (r >>> 16) & 0xff;
            dst[o + 3] = r >>> 24;
            o += 4;
          }
        }
        break;
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return o - off;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Scales of random Q8_0 / Q4_0 blocks: quants of ±127 / ±8 reach about 0.03. */
const Q8_SCALE = floatToHalf(0.03 / 127);
const Q4_SCALE = floatToHalf(0.03 / 8);

/** Bytes of one all-zero block of `type` exactly as ggml's reference quantiser writes it (Q4_0's scale is −0). */
export function zeroBlock(type: GgmlTypeId): Uint8Array {
  const zeros = new Float32Array(32);
  if (type === GGML_TYPE.Q8_0) {
    const b = new Uint8Array(34);
    quantizeQ8_0(zeros, 0, 32, b, 0);
    return b;
  }
  if (type === GGML_TYPE.Q4_0) {
    const b = new Uint8Array(18);
    quantizeQ4_0(zeros, 0, 32, b, 0);
    return b;
  }
  return new Uint8Array(type === GGML_TYPE.F32 ? 4 : 2);
}
