import { describe, expect, it } from 'vitest';
import { dequantize, GGML, halfToFloat, payloadBytes } from './dequantize.ts';

describe('halfToFloat', () => {
  it('decodes normal, subnormal and special halves', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x8400)).toBe(-(2 ** -14));
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('dequantize (ggml reference layouts)', () => {
  it('F16', () => {
    const src = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35]);
    const out = new Float32Array(3);
    dequantize(GGML.F16, src, 3, out);
    expect(Array.from(out)).toEqual([1, -2, 0.333251953125]);
  });

  it('Q8_0: x = q · d per block of 32', () => {
    const src = new Uint8Array(payloadBytes(GGML.Q8_0, 64));
    expect(src.length).toBe(68);
    const view = new DataView(src.buffer);
    view.setUint16(0, 0x3800, true); // d = 0.5
    view.setUint16(34, 0x4000, true); // d = 2
    for (let j = 0; j < 32; j++) {
      view.setInt8(2 + j, j - 16);
      view.setInt8(36 + j, j % 2 ? -128 : 127);
    }
    const out = new Float32Array(64);
    dequantize(GGML.Q8_0, src, 64, out);
    for (let j = 0; j < 32; j++) {
      expect(out[j]).toBe((j - 16) * 0.5);
      expect(out[32 + j]).toBe(j % 2 ? -256 : 254);
    }
  });

  it('Q4_0: low nibbles are elements 0..15, high nibbles 16..31, x = (q - 8) · d', () => {
    const src = new Uint8Array(payloadBytes(GGML.Q4_0, 32));
    expect(src.length).toBe(18);
    new DataView(src.buffer).setUint16(0, 0xbc00, true); // d = -1
    for (let j = 0; j < 16; j++) src[2 + j] = j | ((15 - j) << 4);
    const out = new Float32Array(32);
    dequantize(GGML.Q4_0, src, 32, out);
    for (let j = 0; j < 16; j++) {
      expect(out[j]).toBe(-(j - 8));
      expect(out[16 + j]).toBe(-(15 - j - 8));
    }
  });

  it('F32 is copied from any byte offset', () => {
    const values = Float32Array.of(1.5, -3.25, 1e-30);
    const src = new Uint8Array(13);
    src.set(new Uint8Array(values.buffer), 1);
    const out = new Float32Array(3);
    dequantize(GGML.F32, src.subarray(1), 3, out);
    expect(Array.from(out)).toEqual(Array.from(values));
  });
});
