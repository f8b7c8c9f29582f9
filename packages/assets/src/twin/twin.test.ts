import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readGgufHeader, readTensorF32 } from '../gguf-read.ts';
import { assertFreeSpace } from '../gguf-stream.ts';
import { sha256File } from '../hash.ts';
import { type LlamaShape, parseModelSpec, STORIES260K_SHAPE, type TwinSpec } from '../model-spec.ts';
import { resolveModel } from '../models.ts';
import { GGML_TYPE } from '../quantize.ts';
import { TwinLayout } from './layout.ts';
import { Xoshiro128, zeroBlock } from './random.ts';
import { writeTwin } from './resolve.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'trbench-twin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const twin = (spec: string) => parseModelSpec(spec) as TwinSpec;

describe('TwinLayout', () => {
  const shapes: Array<[string, LlamaShape]> = [
    ['grouping 1', { dim: 128, layers: 6, heads: 16, kvHeads: 16, ffn: 192 }],
    ['grouping 2, head 16', { dim: 256, layers: 6, heads: 16, kvHeads: 8, ffn: 192 }],
    ['grouping 4', { dim: 128, layers: 6, heads: 16, kvHeads: 4, ffn: 192 }],
    ['grouping 8', { dim: 256, layers: 6, heads: 32, kvHeads: 4, ffn: 192 }],
    ['vicuna-7b', { dim: 4096, layers: 32, heads: 32, kvHeads: 32, ffn: 11008 }],
    ['grouping 3', { dim: 384, layers: 6, heads: 24, kvHeads: 8, ffn: 192 }],
  ];
  it.each(shapes)('%s: every real head meets its real KV head, and real RoPE pairs keep their frequency', (_n, shape) => {
    const L = new TwinLayout(shape, STORIES260K_SHAPE);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const t = L.twinHead(i);
      expect(t).toBeLessThan(shape.heads);
      expect(seen.has(t)).toBe(false);
      seen.add(t);
      expect(L.realHead(t)).toBe(i);
      expect(L.realKvHead(Math.floor(t / L.group))).toBe(Math.floor(i / 2));
    }
    for (let t = 0; t < shape.heads; t++) if (!seen.has(t)) expect(L.realHead(t)).toBe(-1);
    for (let d = 0; d < 8; d++) {
      const e = L.twinDim(d);
      expect(L.realDim(e)).toBe(d);
      // frequency θ^(−2·pair/headSize) must be equal
      expect((e >> 1) / L.head).toBeCloseTo((d >> 1) / 8, 12);
    }
    let real = 0;
    for (let e = 0; e < L.head; e++) if (L.realDim(e) >= 0) real++;
    expect(real).toBe(8);
  });
});

describe('random weights', () => {
  it('the aligned (word) and unaligned (byte) fill paths write the same stream', () => {
    for (const type of [GGML_TYPE.F32, GGML_TYPE.F16, GGML_TYPE.Q8_0, GGML_TYPE.Q4_0] as const) {
      const a = new Uint8Array(4096 + 8);
      const b = new Uint8Array(4096 + 8);
      const na = new Xoshiro128(7, 'x').fill(type, a, 0, 64);
      const nb = new Xoshiro128(7, 'x').fill(type, b, 1, 64);
      expect(nb).toBe(na);
      expect(Array.from(b.subarray(1, 1 + nb))).toEqual(Array.from(a.subarray(0, na)));
    }
  });
});

describe('twin files', () => {
  it('are deterministic: the same spec gives the same bytes; another type gives others', async () => {
    const source = await resolveModel('stories260K');
    const spec = twin('twin:d128-l6-h16-kv8-f192:q8_0');
    const a = path.join(tmp, 'a.gguf');
    const b = path.join(tmp, 'b.gguf');
    const progress: number[][] = [];
    const size = writeTwin(spec, source, a, (done, total) => progress.push([done, total]));
    writeTwin(spec, source, b);
    expect(statSync(a).size).toBe(size);
    expect(progress.at(-1)).toEqual([size, size]);
    expect(await sha256File(a)).toBe(await sha256File(b));
    writeTwin(twin('twin:d128-l6-h16-kv8-f192:q4_0'), source, b);
    expect(await sha256File(b)).not.toBe(await sha256File(a));
  });

  it('hold zeros exactly where the residual stream must stay stories260K, and carry their origin', async () => {
    const source = await resolveModel('stories260K');
    const resolved = await resolveModel('twin:d128-l6-h16-kv8-f192:f32');
    expect(resolved.extraStopTokens).toEqual([1]);
    const again = await resolveModel('twin:d128-l6-h16-kv8-f192:f32');
    expect(again.path).toBe(resolved.path);
    expect(again.sha256).toBe(resolved.sha256);
    const h = readGgufHeader(resolved.path);
    const md = (k: string) => h.metadata.get(k)?.value;
    expect(md('trbench.twin.shape')).toBe('d128-l6-h16-kv8-f192');
    expect(md('trbench.twin.source_sha256')).toBe(source.sha256);
    expect(Array.from(md('trbench.extra_stop_token_ids') as Int32Array)).toEqual([1]);
    expect(md('llama.rope.dimension_count')).toBe(8);
    expect(md('llama.attention.layer_norm_rms_epsilon')).toBeCloseTo(0.5e-5, 12);
    const D = 128;
    const F = 192;
    const embd = readTensorF32(h, 'token_embd.weight');
    const src = readGgufHeader(source.path);
    const srcEmbd = readTensorF32(src, 'token_embd.weight');
    for (let r = 0; r < 512; r++) {
      for (let c = 0; c < 64; c++) expect(embd[r * D + c]).toBe(srcEmbd[r * 64 + c]);
      for (let c = 64; c < D; c++) expect(embd[r * D + c]).toBe(0);
    }
    const down = readTensorF32(h, 'blk.0.ffn_down.weight');
    for (let r = 0; r < D; r++) for (let c = r < 64 ? 172 : 0; c < F; c++) expect(down[r * F + c]).toBe(0);
    const wo = readTensorF32(h, 'blk.2.attn_output.weight');
    for (let r = 64; r < D; r++) for (let c = 0; c < D; c++) expect(wo[r * D + c]).toBe(0);
    expect(readTensorF32(h, 'blk.5.attn_output.weight').every((x) => x === 0)).toBe(true);
    expect(readTensorF32(h, 'blk.5.ffn_down.weight').every((x) => x === 0)).toBe(true);
    const q5 = readTensorF32(h, 'blk.5.attn_q.weight');
    expect(q5.filter((x) => x === 0).length).toBe(0);
    expect(Math.max(...q5.map(Math.abs))).toBeLessThan(0.032);
  });

  it('at the shape of stories260K itself, a twin holds exactly its tensors (nothing random, nothing moved)', async () => {
    const source = await resolveModel('stories260K');
    const file = path.join(tmp, 'same-shape.gguf');
    writeTwin(twin('twin:d64-l5-h8-kv4-f172:f32'), source, file);
    const a = readGgufHeader(file);
    const b = readGgufHeader(source.path);
    expect(a.tensors.map((t) => t.name).sort()).toEqual(b.tensors.map((t) => t.name).sort());
    for (const t of b.tensors) expect(readTensorF32(a, t.name)).toEqual(readTensorF32(b, t.name));
    expect(a.metadata.get('llama.attention.layer_norm_rms_epsilon')).toEqual(b.metadata.get('llama.attention.layer_norm_rms_epsilon'));
  });

  it('refuse to start without the disk space they need', () => {
    expect(() => assertFreeSpace(tmp, 1e18, 'twin-huge.gguf')).toThrow(TrbenchError);
    expect(() => assertFreeSpace(tmp, 1e18, 'twin-huge.gguf')).toThrow(/not enough disk space for twin-huge\.gguf/);
  });
});

describe('wide-vocabulary twins', () => {
  it('leave every twin of vocabulary 512 byte for byte as it was (the CI twin among them)', async () => {
    const source = await resolveModel('stories260K');
    const file = path.join(tmp, 'narrow.gguf');
    writeTwin(twin('twin:d512-l5-h32-kv4-f1376'), source, file);
    expect(await sha256File(file)).toBe('19146b29897d7e27f2a290736968877472c04fde631cf90419cb3cc517cd879c');
    writeTwin(twin('twin:d128-l6-h16-kv8-f192-v512:q4_0'), source, file);
    expect(await sha256File(file)).toBe('55e6b15724814ea455fa4fae8cbdec0e15ad7235a480b0e590df1bdf95fa4784');
    expect(readGgufHeader(file).tensors.some((t) => t.name === 'output.weight')).toBe(false);
  });

  it('f32: a constant channel no matrix reads, amplified by the output norm into the extra tokens’ logits only', async () => {
    const source = await resolveModel('stories260K');
    const file = path.join(tmp, 'wide-f32.gguf');
    writeTwin(twin('twin:d128-l5-h16-kv8-f192-v1024:f32'), source, file);
    const h = readGgufHeader(file);
    const src = readGgufHeader(source.path);
    const D = 128;
    const c = D - 1;
    const V = 1024;
    const eps = 2 ** -100;
    expect(Math.fround(eps * eps)).toBe(0); // no RMSNorm sees it in f32
    const srcEmbd = readTensorF32(src, 'token_embd.weight');
    const embd = readTensorF32(h, 'token_embd.weight');
    expect(embd.length).toBe(V * D);
    for (let r = 0; r < V; r++) expect(embd[r * D + c]).toBe(eps);
    for (let r = 0; r < 512; r++) {
      for (let x = 0; x < 64; x++) expect(embd[r * D + x]).toBe(srcEmbd[r * 64 + x]);
      for (let x = 64; x < c; x++) expect(embd[r * D + x]).toBe(0);
    }
    for (let l = 0; l < 5; l++)
      for (const m of ['attn_q', 'attn_k', 'attn_v', 'ffn_gate', 'ffn_up']) {
        const w = readTensorF32(h, `blk.${l}.${m}.weight`);
        const rows = w.length / D;
        for (let r = 0; r < rows; r++) expect(w[r * D + c]).toBe(0);
        expect(w[D + 100]).not.toBe(0); // the other spare columns stay random
      }
    const norm = readTensorF32(h, 'output_norm.weight');
    expect(norm[c]).toBe(Math.fround(Math.sqrt(64 / D) / eps));
    const head = readTensorF32(h, 'output.weight');
    expect(head.length).toBe(V * D);
    for (let r = 0; r < V; r++) expect(head[r * D + c]).toBe(r < 512 ? 0 : -2000);
    for (let r = 0; r < 512; r++) for (let x = 0; x < 64; x++) expect(head[r * D + x]).toBe(srcEmbd[r * 64 + x]);
    expect(head[600 * D + 5]).not.toBe(0); // extra rows are random elsewhere, like an LLM's
    const md = (k: string) => h.metadata.get(k)?.value as ArrayLike<unknown>;
    const srcTokens = src.metadata.get('tokenizer.ggml.tokens')?.value as string[];
    const tokens = md('tokenizer.ggml.tokens') as string[];
    expect(tokens.length).toBe(V);
    expect(tokens.slice(0, 512)).toEqual(srcTokens);
    expect(tokens[512]).toBe('[PAD512]');
    expect(tokens[V - 1]).toBe(`[PAD${V - 1}]`);
    expect(Array.from(md('tokenizer.ggml.token_type')).slice(512)).toEqual(new Array(V - 512).fill(5));
    expect(Array.from(md('tokenizer.ggml.scores')).slice(512)).toEqual(new Array(V - 512).fill(-1000));
  });

  it('q8_0 and q4_0 keep ε, the zero column block and W = −2000 through quantization', async () => {
    const source = await resolveModel('stories260K');
    const D = 128;
    const blockAt = (file: string, name: string, row: number) => {
      const h = readGgufHeader(file);
      const t = h.tensors.find((x) => x.name === name)!;
      const bytes = (t.type === GGML_TYPE.Q8_0 ? 34 : 18) * (D / 32);
      const buf = Buffer.alloc(bytes);
      const fd = openSync(file, 'r');
      readSync(fd, buf, 0, bytes, t.offset + row * bytes);
      closeSync(fd);
      return { type: t.type, last: buf.subarray(bytes - (t.type === GGML_TYPE.Q8_0 ? 34 : 18)) };
    };
    const half = (b: Uint8Array) => {
      const x = b[0] | (b[1] << 8);
      const e = (x >> 10) & 31;
      const m = x & 1023;
      return (x & 0x8000 ? -1 : 1) * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
    };
    for (const type of ['q8_0', 'q4_0'] as const) {
      const file = path.join(tmp, `wide-${type}.gguf`);
      writeTwin(twin(`twin:d128-l5-h16-kv8-f192-v1024:${type}`), source, file);
      for (const row of [3, 700]) {
        const e = blockAt(file, 'token_embd.weight', row);
        expect(e.type).toBe(GGML_TYPE.Q8_0);
        expect(half(e.last) * new Int8Array(e.last.buffer, e.last.byteOffset + 2, 32)[31]).toBe(127 * 2 ** -24);
      }
      const w = blockAt(file, 'output.weight', 700);
      expect(w.type).toBe(GGML_TYPE.Q8_0);
      const q = new Int8Array(w.last.buffer, w.last.byteOffset + 2, 32);
      expect(Array.from(q.subarray(0, 31)).every((x) => x === 0)).toBe(true);
      expect(Math.abs(half(w.last) * q[31] + 2000)).toBeLessThan(2000 * 2 ** -11);
      const real = blockAt(file, 'output.weight', 300);
      expect(Array.from(real.last.subarray(2)).every((x) => x === 0)).toBe(true);
      const qk = blockAt(file, 'blk.4.attn_k.weight', 5);
      expect(qk.type).toBe(type === 'q8_0' ? GGML_TYPE.Q8_0 : GGML_TYPE.Q4_0);
      expect(Buffer.from(qk.last).equals(Buffer.from(zeroBlock(qk.type as typeof GGML_TYPE.Q8_0)))).toBe(true);
    }
  });
});
