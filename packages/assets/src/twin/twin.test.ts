import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
import { Xoshiro128 } from './random.ts';
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
