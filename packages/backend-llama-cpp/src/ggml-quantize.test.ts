import path from 'node:path';
import { encodeTensorData, floatToHalf, GGML_TYPE, type GgmlTypeId } from '@trbench/assets';
import { loadLlamaLibrary } from '@trbench/libllama';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';

/**
 * trbench's quantisers (packages/assets/src/quantize.ts) must write exactly the bytes ggml's reference
 * quantisers write, so a Q8_0/Q4_0 file trbench makes is the one `llama-quantize` would make. This calls
 * ggml's own `ggml_quantize_chunk` (the entry point llama-quantize uses) in the pinned libggml-base.
 */
describe('assets quantisers against ggml_quantize_chunk', () => {
  /** Values that stress every rounding path: halves, ties, subnormal halves, zeros, one-sided blocks. */
  function testValues(): Float32Array {
    const n = 32 * 400;
    const x = new Float32Array(n);
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    for (let i = 0; i < n; i++) {
      const block = Math.floor(i / 32);
      const kind = block % 8;
      if (kind === 0) x[i] = (rnd() - 0.5) * 0.1;
      else if (kind === 1) x[i] = 0;
      else if (kind === 2)
        x[i] = (Math.floor(rnd() * 17) - 8) * 0.25; // exact multiples: ties after scaling
      else if (kind === 3)
        x[i] = (rnd() - 0.5) * 2 ** -20; // scales land in half's subnormal range
      else if (kind === 4)
        x[i] = rnd() * 3; // one-sided positive block
      else if (kind === 5) x[i] = -rnd() * 1000;
      else if (kind === 6) x[i] = (i % 32) - 15.5;
      else x[i] = (rnd() - 0.5) * 2 ** (Math.floor(rnd() * 40) - 20);
    }
    return x;
  }

  it('writes the same Q8_0, Q4_0 and F16 bytes as ggml', async () => {
    const lib = await loadLlamaLibrary(false);
    const base = koffi.load(path.join(lib.binsDir, 'libggml-base.so'));
    const quantizeChunk = base.func(
      'size_t ggml_quantize_chunk(int type, const float *src, _Out_ uint8_t *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix)',
    );
    const x = testValues();
    const rowLength = 128;
    for (const type of [GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.F16] as GgmlTypeId[]) {
      const ours = encodeTensorData(type, x);
      const theirs = new Uint8Array(ours.length);
      const written = Number(quantizeChunk(type, x, theirs, 0, x.length / rowLength, rowLength, null));
      expect(written).toBe(ours.length);
      const firstDiff = ours.findIndex((b, i) => b !== theirs[i]);
      expect({ type, firstDiff }).toEqual({ type, firstDiff: -1 });
    }
  });

  it('rounds float32 to half as ggml does, on every half and every midpoint between halves', async () => {
    const lib = await loadLlamaLibrary(false);
    const base = koffi.load(path.join(lib.binsDir, 'libggml-base.so'));
    const toHalfRow = base.func('void ggml_fp32_to_fp16_row(const float *x, _Out_ uint16_t *y, int64_t n)');
    const toFloatRow = base.func('void ggml_fp16_to_fp32_row(const uint16_t *x, _Out_ float *y, int64_t n)');
    const halves = new Uint16Array(65536).map((_, i) => i);
    const floats = new Float32Array(65536);
    toFloatRow(halves, floats, 65536);
    // Every half, the midpoints to its successor, and values just either side of them.
    const probe: number[] = [];
    for (let h = 0; h < 0x7c00; h++) {
      const a = floats[h];
      const b = floats[h + 1];
      const mid = Math.fround((a + b) / 2);
      probe.push(a, -a, mid, -mid, Math.fround(mid * (1 + 2 ** -23)), Math.fround(mid * (1 - 2 ** -23)));
    }
    probe.push(65520, 1e6, -1e6, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** -26, 2 ** -25, 3 * 2 ** -26);
    const input = Float32Array.from(probe);
    const theirs = new Uint16Array(input.length);
    toHalfRow(input, theirs, input.length);
    const mismatches: string[] = [];
    for (let i = 0; i < input.length && mismatches.length < 5; i++) {
      const ours = floatToHalf(input[i]);
      if (ours !== theirs[i]) mismatches.push(`${input[i]}: ours 0x${ours.toString(16)}, ggml 0x${theirs[i].toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
