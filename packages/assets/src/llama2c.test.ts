import { readFileSync } from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { convertLlama2cToGguf, readLlama2cConfig } from './llama2c.ts';
import { resolveModel } from './models.ts';
import { FILES } from './registry.ts';
import { ensureFile } from './store.ts';

describe('llama2.c to GGUF converter', () => {
  it('converts stories260K into the GGUF llama.cpp expects', async () => {
    const model = await resolveModel('stories260K');
    const info = await readGgufFileInfo(model.path);
    const names = info.tensorInfo!.map((t) => t.name);
    expect(names).toHaveLength(47);
    expect(names).not.toContain('output.weight'); // tied embeddings
    const embd = info.tensorInfo!.find((t) => t.name === 'token_embd.weight')!;
    expect(embd.dimensions.map(Number)).toEqual([64, 512]);
    const k = info.tensorInfo!.find((t) => t.name === 'blk.4.attn_k.weight')!;
    expect(k.dimensions.map(Number)).toEqual([64, 32]);
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(md.general.architecture).toBe('llama');
    expect(md.llama.context_length).toBe(512);
    expect((md.llama.attention as Record<string, unknown>).head_count_kv).toBe(4);
    const tokenizer = md.tokenizer as { ggml: { tokens: string[]; token_type: number[]; bos_token_id: number } };
    expect(tokenizer.ggml.tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(tokenizer.ggml.token_type.slice(0, 4)).toEqual([2, 3, 3, 6]);
    expect(tokenizer.ggml.tokens[410]).toBe('\u2581');
  });

  it('writes the stop rule into the file, so the model stops alike by name and by path', async () => {
    const byName = await resolveModel('stories260K');
    expect(byName.extraStopTokens).toEqual([1]);
    const byPath = await resolveModel(byName.path);
    expect(byPath.extraStopTokens).toEqual(byName.extraStopTokens);
    expect(byPath.sha256).toBe(byName.sha256);
  });

  it('is deterministic', async () => {
    const ckpt = readFileSync((await ensureFile(FILES.stories260KCheckpoint)).path);
    const tok = readFileSync((await ensureFile(FILES.stories260KTokenizer)).path);
    const a = convertLlama2cToGguf(ckpt, tok, 'stories260K');
    expect(a.equals(convertLlama2cToGguf(ckpt, tok, 'stories260K'))).toBe(true);
  });

  it('rejects damaged inputs with errors naming the file', async () => {
    const ckpt = readFileSync((await ensureFile(FILES.stories260KCheckpoint)).path);
    const tok = readFileSync((await ensureFile(FILES.stories260KTokenizer)).path);
    expect(() => convertLlama2cToGguf(ckpt.subarray(0, 5000), tok, 'x', { checkpoint: 'a.bin', tokenizer: 't.bin' })).toThrow(
      /a\.bin: 5000 bytes, but its header .* implies 1056540/,
    );
    expect(() => convertLlama2cToGguf(ckpt, tok.subarray(0, 3000), 'x', { checkpoint: 'a.bin', tokenizer: 't.bin' })).toThrow(
      /t\.bin: ends after/,
    );
    expect(() => readLlama2cConfig(Buffer.from('GGUF garbage garbage garbage'), 'g.bin')).toThrow(/g\.bin: not a llama2.c checkpoint/);
  });
});
