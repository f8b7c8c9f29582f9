import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStorySuite, type ResolvedModel, readGgufHeader, resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { AutoregressiveDrafter, DecodeLoop, type TargetModel } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from './onnx-model.ts';

/**
 * Twins (issue 11) compute stories260K exactly inside a larger llama: on both backends, their greedy
 * tokens must be stories260K's. Shapes cover the KV groupings 1, 2, 4 and 8 and head sizes twice
 * stories260K's (RoPE pairs moved to pairs of the same frequency).
 */
const BACKENDS = ['llama.cpp', 'onnx'] as const;
type Backend = (typeof BACKENDS)[number];
const SHAPES = [
  'twin:d256-l6-h16-kv16-f192:f32', // grouping 1: KV rows duplicated
  'twin:d256-l6-h16-kv8-f192:f32', // grouping 2, stories260K's own
  'twin:d256-l6-h16-kv4-f192:f32', // grouping 4
  'twin:d512-l5-h32-kv4-f172:f32', // grouping 8
];
const FULL_SUITE_SHAPE = 'twin:d256-l6-h16-kv8-f688:f32';
const FEW = 4;
const FEW_TOKENS = 60;
const SUITE_TOKENS = 200;

const stories = loadStorySuite();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'trbench-twin-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function open(m: Pick<ResolvedModel, 'path' | 'name' | 'sha256' | 'extraStopTokens'>, backend: Backend): Promise<TargetModel> {
  const common = { path: m.path, name: m.name, sha256: m.sha256, maxDraftNodes: 1, topK: 1, extraStopTokens: m.extraStopTokens };
  return backend === 'onnx' ? OnnxModel.open(common) : LlamaCppModel.open({ ...common, gpu: false, kvCacheType: 'f32' });
}

/** Greedy tokens of the first `count` stories. */
function greedy(model: TargetModel, count: number, maxNewTokens: number): Int32Array[] {
  const loop = new DecodeLoop(model, new AutoregressiveDrafter());
  return stories.slice(0, count).map((s) => loop.generate(model.tokenize(s.prompt, true), { maxNewTokens }).tokens);
}

async function greedyOf(
  m: Pick<ResolvedModel, 'path' | 'name' | 'sha256' | 'extraStopTokens'>,
  backend: Backend,
  count: number,
  maxNewTokens: number,
): Promise<Int32Array[]> {
  const model = await open(m, backend);
  try {
    return greedy(model, count, maxNewTokens);
  } finally {
    model.dispose();
  }
}

/** Ids of the stories whose tokens differ. */
function differing(a: Int32Array[], b: Int32Array[]): string[] {
  return a.flatMap((x, i) => (x.length === b[i].length && x.every((t, j) => t === b[i][j]) ? [] : [stories[i].id]));
}

const reference = new Map<Backend, { few: Int32Array[]; suite: Int32Array[] }>();
let stories260K: ResolvedModel;

beforeAll(async () => {
  stories260K = await resolveModel('stories260K');
  for (const backend of BACKENDS) {
    const model = await open(stories260K, backend);
    try {
      const suite = greedy(model, stories.length, SUITE_TOKENS);
      reference.set(backend, { suite, few: greedy(model, FEW, FEW_TOKENS) });
    } finally {
      model.dispose();
    }
  }
}, 600_000);

describe.each(BACKENDS)('twins on %s', (backend) => {
  it.each(SHAPES)(
    `%s gives stories260K's greedy tokens (${FEW} stories × ${FEW_TOKENS} tokens)`,
    async (spec) => {
      const twin = await resolveModel(spec);
      expect(differing(await greedyOf(twin, backend, FEW, FEW_TOKENS), reference.get(backend)!.few)).toEqual([]);
    },
    300_000,
  );

  it(`${FULL_SUITE_SHAPE} gives stories260K's tokens on the whole story suite (${SUITE_TOKENS} tokens)`, async () => {
    expect(stories.length).toBe(48);
    const twin = await resolveModel(FULL_SUITE_SHAPE);
    expect(differing(await greedyOf(twin, backend, stories.length, SUITE_TOKENS), reference.get(backend)!.suite)).toEqual([]);
  }, 600_000);

  it('negative control: one weight that must be zero made non-zero changes the tokens', async () => {
    const twin = await resolveModel(SHAPES[1]);
    // token_embd row 1 (BOS, which starts every prompt), column 100: an extra residual dim, which must
    // stay zero (it would enter every RMSNorm and, through random columns, every projection).
    const header = readGgufHeader(twin.path);
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    const at = embd.offset + (1 * embd.shape[1] + 100) * 4;
    const broken = path.join(tmp, `broken-${backend}.gguf`);
    copyFileSync(twin.path, broken);
    const fd = openSync(broken, 'r+');
    try {
      const before = Buffer.alloc(4);
      readSync(fd, before, 0, 4, at);
      expect(before.readFloatLE(0)).toBe(0);
      const value = Buffer.alloc(4);
      value.writeFloatLE(1, 0);
      writeSync(fd, value, 0, 4, at);
    } finally {
      closeSync(fd);
    }
    const tokens = await greedyOf({ ...twin, path: broken, sha256: 'broken' }, backend, FEW, FEW_TOKENS);
    expect(differing(tokens, reference.get(backend)!.few).length).toBeGreaterThan(0);
  }, 300_000);
});
