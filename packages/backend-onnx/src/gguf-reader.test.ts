import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { Predictions, TrbenchError } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GGML } from './dequantize.ts';
import { GgufFile } from './gguf-reader.ts';
import { OnnxModel } from './onnx-model.ts';
import { encodeTensor, readRawGguf, stringKv, tensorFloats, writeRawGguf } from './testing/gguf-fixture.ts';

let dir: string;
let source: Awaited<ReturnType<typeof resolveModel>>;
let raw: ReturnType<typeof readRawGguf>;

beforeAll(async () => {
  source = await resolveModel('stories260K');
  raw = readRawGguf(source.path);
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-onnx-gguf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const open = (file: string) => OnnxModel.open({ path: file, name: 'fixture', sha256: '-', maxDraftNodes: 4, topK: 4, keepLogits: true });

describe('GgufFile', () => {
  it('reads stories260K metadata and tensors', async () => {
    const file = await GgufFile.open(source.path);
    expect(file.string('general.architecture')).toBe('llama');
    expect(file.number('llama.attention.head_count_kv')).toBe(4);
    expect(file.tensor('output.weight')).toBeUndefined();
    const norm = file.readTensor('output_norm.weight', [64]);
    expect(Array.from(norm)).toEqual(Array.from(tensorFloats(raw.tensors.find((t) => t.name === 'output_norm.weight')!)));
    file.close();
  });
});

describe('quantized and half-precision weights agree with llama.cpp reading the same file', () => {
  const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside with her dog';
  // llama.cpp multiplies these types with activations rounded to f16 / q8, so logits differ by more than
  // on F32; the bound on Q4_0 is still far below what the quantization itself changes (checked below).
  for (const [type, label, meanBound] of [
    [GGML.F16, 'F16', 0.005],
    [GGML.Q8_0, 'Q8_0', 0.08],
    [GGML.Q4_0, 'Q4_0', 0.08],
  ] as const) {
    it(`${label}: same argmax on every prompt row, mean |Δlogit| < ${meanBound}`, async () => {
      const tensors = raw.tensors.map((t) =>
        t.ne.length === 2 && t.ne[0] % 32 === 0 ? { ...t, type, data: encodeTensor(type, tensorFloats(t)) } : t,
      );
      // every matrix but ffn_down, whose rows (172) are not whole 32-value blocks
      expect(tensors.filter((t) => t.type === type).length).toBe(31);
      const file = fixture(`stories-${label}.gguf`, writeRawGguf(raw.kvs, tensors));
      const onnx = await open(file);
      const f32 = await open(source.path);
      const llama = await LlamaCppModel.open({
        path: file,
        name: 'fixture',
        sha256: '-',
        maxDraftNodes: 4,
        topK: 4,
        gpu: false,
        kvCacheType: 'f32',
      });
      const ids = onnx.tokenize(prompt, true);
      const n = ids.length;
      onnx.prefill(ids, new Predictions(n, 4));
      llama.prefill(ids, new Predictions(n, 4));
      f32.prefill(ids, new Predictions(n, 4));
      let vsLlama = 0;
      let vsF32 = 0;
      for (let i = 0; i < n; i++) {
        const a = onnx.logitsRow(i);
        const b = llama.nodeLogits(i);
        const c = f32.logitsRow(i);
        let best = 0;
        let bestLlama = 0;
        for (let t = 0; t < a.length; t++) {
          vsLlama += Math.abs(a[t] - b[t]);
          vsF32 += Math.abs(a[t] - c[t]);
          if (a[t] > a[best]) best = t;
          if (b[t] > b[bestLlama]) bestLlama = t;
        }
        expect(best, `row ${i}`).toBe(bestLlama);
      }
      vsLlama /= n * onnx.info.vocabSize;
      vsF32 /= n * onnx.info.vocabSize;
      console.log(`${label}: mean |onnx - llama.cpp| ${vsLlama.toFixed(5)}, mean |onnx ${label} - onnx F32| ${vsF32.toFixed(5)}`);
      expect(vsLlama).toBeLessThan(meanBound);
      if (type === GGML.Q4_0) expect(vsLlama).toBeLessThan(vsF32 / 5);
      onnx.dispose();
      f32.dispose();
      llama.dispose();
    });
  }
});

describe('bad input is refused with a TrbenchError naming the problem', () => {
  const expectRefusal = async (file: string, message: RegExp) => {
    const err = await open(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrbenchError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(file);
  };

  it('an unsupported architecture', async () => {
    const kvs = raw.kvs.map((kv) => (kv.key === 'general.architecture' ? stringKv(kv.key, 'qwen2') : kv));
    await expectRefusal(
      fixture('arch.gguf', writeRawGguf(kvs, raw.tensors)),
      /architecture "qwen2" is not supported by the onnx backend \(expected "llama"\)/,
    );
  });

  it('an unsupported tensor type', async () => {
    // Q4_K: 144 bytes per 256 values
    const tensors = raw.tensors.map((t) =>
      t.name === 'blk.0.attn_q.weight' ? { ...t, type: 12, data: Buffer.alloc((4096 / 256) * 144) } : t,
    );
    await expectRefusal(
      fixture('type.gguf', writeRawGguf(raw.kvs, tensors)),
      /tensor blk\.0\.attn_q\.weight has type Q4_K; the onnx backend reads F32, F16, Q8_0 and Q4_0 only/,
    );
  });

  it('a missing tensor', async () => {
    const tensors = raw.tensors.filter((t) => t.name !== 'blk.2.ffn_up.weight');
    await expectRefusal(
      fixture('missing.gguf', writeRawGguf(raw.kvs, tensors)),
      /tensor blk\.2\.ffn_up\.weight is missing \(expected shape ne=\[64, 172\]\)/,
    );
  });

  it('a tensor of the wrong shape', async () => {
    const tensors = raw.tensors.map((t) => (t.name === 'blk.1.attn_k.weight' ? { ...t, ne: [32, 64] } : t));
    await expectRefusal(
      fixture('shape.gguf', writeRawGguf(raw.kvs, tensors)),
      /tensor blk\.1\.attn_k\.weight has shape ne=\[32, 64\], expected \[64, 32\]/,
    );
  });

  it('a truncated file', async () => {
    const bytes = writeRawGguf(raw.kvs, raw.tensors);
    await expectRefusal(
      fixture('truncated.gguf', bytes.subarray(0, bytes.length - 4096)),
      /tensor blk\.4\.\w+\.weight needs bytes .* \(truncated\?\)/,
    );
  });

  it('a file that is not GGUF', async () => {
    await expectRefusal(
      fixture('junk.gguf', Buffer.from('this is not a model file at all, just text'.repeat(10))),
      /is not a readable GGUF file/,
    );
  });
});
