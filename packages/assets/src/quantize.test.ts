import { describe, expect, it } from 'vitest';
import { encodeTensorData, floatToHalf, GGML_TYPE, tensorTypeFor } from './quantize.ts';

// Bit-exactness against ggml itself is tested in packages/backend-llama-cpp/src/ggml-quantize.test.ts
// (through the pinned libggml); these are hand-checked cases that need no native library.
describe('floatToHalf', () => {
  it('rounds to nearest even, handles subnormals, overflow and NaN', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // the midpoint to the next (infinite) step rounds to even: inf
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → even (0)
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal steps → even (2)
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(floatToHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});

describe('Q8_0 and Q4_0 reference quantisers', () => {
  it('Q8_0: scale amax/127 as f16, quants rounded half away from zero', () => {
    const x = new Float32Array(32);
    x[0] = 127;
    x[1] = -63.5; // exactly −63.5 after scaling by 1/d = 1 → roundf gives −64
    x[2] = 0.5;
    const b = encodeTensorData(GGML_TYPE.Q8_0, x);
    expect(b.length).toBe(34);
    expect(b[0] | (b[1] << 8)).toBe(0x3c00); // d = 1
    expect(Array.from(new Int8Array(b.buffer, 2, 3))).toEqual([127, -64, 1]);
  });

  it('Q4_0: scale max/-8 keeps the sign of the largest magnitude; quants truncate x/d + 8.5 and cap at 15', () => {
    const x = new Float32Array(32);
    x[0] = -8; // d = 1 → nibble 0
    x[1] = 8; // 16.5 → 16 → capped at 15
    x[16] = 3; // high nibble of byte 0: 3/1 + 8.5 = 11.5 → 11
    const b = encodeTensorData(GGML_TYPE.Q4_0, x);
    expect(b.length).toBe(18);
    expect(b[0] | (b[1] << 8)).toBe(0x3c00); // d = −8 / −8 = 1
    expect(b[2]).toBe(0x0 | (11 << 4));
    expect(b[3]).toBe(15 | (8 << 4));
    // an all-zero block: d = 0 / −8 = −0 (f16 0x8000), every nibble 8
    const z = encodeTensorData(GGML_TYPE.Q4_0, new Float32Array(32));
    expect(z[0] | (z[1] << 8)).toBe(0x8000);
    expect(Array.from(z.subarray(2))).toEqual(new Array(16).fill(0x88));
  });
});

describe('tensorTypeFor', () => {
  it('keeps vectors F32, falls back to F16 for rows not a multiple of 32, keeps a Q4_0 model embedding at Q8_0', () => {
    expect(tensorTypeFor('blk.0.attn_norm.weight', [64], 'q4_0')).toBe(GGML_TYPE.F32);
    expect(tensorTypeFor('blk.0.ffn_down.weight', [64, 172], 'q8_0')).toBe(GGML_TYPE.F16);
    expect(tensorTypeFor('blk.0.ffn_gate.weight', [172, 64], 'q8_0')).toBe(GGML_TYPE.Q8_0);
    expect(tensorTypeFor('token_embd.weight', [512, 64], 'q4_0')).toBe(GGML_TYPE.Q8_0);
    expect(tensorTypeFor('blk.3.attn_q.weight', [64, 64], 'q4_0')).toBe(GGML_TYPE.Q4_0);
    expect(tensorTypeFor('blk.3.attn_q.weight', [64, 64], 'f16')).toBe(GGML_TYPE.F16);
  });
});
