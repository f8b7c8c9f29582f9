import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { quantizeModelFile } from '@trbench/libllama';
import { afterAll, describe, expect, it } from 'vitest';
import { stampPath } from '../file-stamp.ts';
import { readGgufHeader } from '../gguf-read.ts';
import { sha256File } from '../hash.ts';
import { parseModelSpec } from '../model-spec.ts';
import { resolveModel } from '../models.ts';
import { buildTwin } from './build.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'trbench-kquant-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('K-quant twin specs', () => {
  it('accepts q4_k_m, q5_k_m and q6_k on shapes whose rows are whole 256-value super-blocks', () => {
    for (const type of ['q4_k_m', 'q5_k_m', 'q6_k'])
      expect(parseModelSpec(`twin:d2048-l8-h32-kv16-f5632-v32000:${type}`)).toMatchObject({
        type,
        canonical: `twin:d2048-l8-h32-kv16-f5632-v32000:${type}`,
      });
    expect(parseModelSpec('twin:vicuna-7b:q4_k_m')).toMatchObject({ name: 'twin:vicuna-7b:q4_k_m' });
  });

  it('refuses other shapes and unknown types by name', () => {
    expect(() => parseModelSpec('twin:d256-l6-h16-kv8-f688:q4_k_m')).toThrow(
      'q4_k_m needs the width and FFN width to be multiples of 256 (K-quant super-blocks; got 256 and 688)',
    );
    expect(() => parseModelSpec('twin:d256-l5-h8-kv4-f512:q3_k_s')).toThrow(/unknown type "q3_k_s".*q4_0, q4_k_m, q5_k_m, q6_k/);
  });
});

describe("a K-quant twin is the F16 twin quantised by libllama's llama_model_quantize", () => {
  const spec = 'twin:d256-l5-h8-kv4-f512:q4_k_m';

  it('records its file type, keeps the twin metadata, is stamped, and is the bytes libllama writes', async () => {
    const m = await resolveModel(spec);
    expect(existsSync(stampPath(m.path))).toBe(true);
    const h = readGgufHeader(m.path);
    expect(h.metadata.get('general.file_type')?.value).toBe(15); // LLAMA_FTYPE_MOSTLY_Q4_K_M
    expect(h.metadata.get('trbench.twin.shape')?.value).toBe('d256-l5-h8-kv4-f512');
    expect(h.metadata.get('trbench.extra_stop_token_ids')?.value).toEqual(Int32Array.from(m.extraStopTokens));
    const types = new Set(h.tensors.map((t) => t.type));
    expect([...types].sort((a, b) => a - b)).toEqual([0, 12, 14]); // F32 norms, Q4_K, Q6_K (the _m mixture)
    // Deterministic: the F16 twin quantised again gives the cached file's bytes.
    const f16 = await resolveModel('twin:d256-l5-h8-kv4-f512:f16');
    expect(m.provenance.quantizedFrom).toBe(`twin:d256-l5-h8-kv4-f512:f16 sha256:${f16.sha256}`);
    const again = path.join(tmp, 'again.gguf');
    await quantizeModelFile(f16.path, again, 'q4_k_m', { threads: 1 });
    expect(await sha256File(again)).toBe(m.sha256);
  }, 120_000);

  it('is never built by trbench itself', () => {
    const parsed = parseModelSpec(spec);
    if (parsed?.kind !== 'twin') throw new Error('not a twin');
    expect(() => buildTwin(parsed, readGgufHeader(path.join(tmp, 'none')), { extraStopTokens: [], sourceSha256: '' })).toThrow();
  });
});
