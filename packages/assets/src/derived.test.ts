import { describe, expect, it } from 'vitest';
import { readGgufHeader, readTensorF32 } from './gguf-read.ts';
import { resolveModel } from './models.ts';
import { GGML_TYPE } from './quantize.ts';

describe('models derived from stories260K', () => {
  it('stories260K:layers=0,1,2,4 keeps those layers, renumbered in order, with the source stop rule', async () => {
    const source = await resolveModel('stories260K');
    const m = await resolveModel('stories260K:layers=0,1,2,4');
    expect(m.name).toBe('stories260K:layers=0,1,2,4');
    expect(m.extraStopTokens).toEqual(source.extraStopTokens);
    const h = readGgufHeader(m.path);
    const src = readGgufHeader(source.path);
    expect(h.metadata.get('llama.block_count')?.value).toBe(4);
    expect(h.metadata.get('trbench.derived.from')?.value).toBe(`stories260K sha256:${source.sha256}`);
    expect(Array.from(h.metadata.get('trbench.extra_stop_token_ids')?.value as Int32Array)).toEqual([1]);
    expect(h.tensors.filter((t) => t.name.startsWith('blk.')).length).toBe(4 * 9);
    expect(h.tensors.some((t) => t.name.startsWith('blk.4.'))).toBe(false);
    expect(readTensorF32(h, 'blk.3.ffn_down.weight')).toEqual(readTensorF32(src, 'blk.4.ffn_down.weight'));
    expect(readTensorF32(h, 'blk.2.attn_q.weight')).toEqual(readTensorF32(src, 'blk.2.attn_q.weight'));
    expect(h.metadata.get('tokenizer.ggml.tokens')).toEqual(src.metadata.get('tokenizer.ggml.tokens'));
  });

  it('stories260K:q4_0 quantises matrices (embedding Q8_0, rows of 172 in F16) and keeps norms F32', async () => {
    const m = await resolveModel('stories260K:q4_0');
    const types = Object.fromEntries(readGgufHeader(m.path).tensors.map((t) => [t.name, t.type]));
    expect(types['token_embd.weight']).toBe(GGML_TYPE.Q8_0);
    expect(types['blk.0.attn_q.weight']).toBe(GGML_TYPE.Q4_0);
    expect(types['blk.0.ffn_gate.weight']).toBe(GGML_TYPE.Q4_0);
    expect(types['blk.0.ffn_down.weight']).toBe(GGML_TYPE.F16);
    expect(types['blk.0.attn_norm.weight']).toBe(GGML_TYPE.F32);
    expect(readGgufHeader(m.path).metadata.get('general.file_type')?.value).toBe(2);
  });
});
