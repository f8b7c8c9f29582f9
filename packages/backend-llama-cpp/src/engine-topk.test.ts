import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGgufHeader, readTensorF32, resolveModel } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, Draft, Predictions, ProcessedDistribution, TrbenchError } from '@trbench/core';
import type { GpuChoice } from '@trbench/libllama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineTopK, resolveRankPath } from './engine-topk.ts';
import { LlamaCppModel } from './llama-model.ts';
import { openStories260K } from './testing/open-stories.ts';

describe('resolveRankPath', () => {
  const greedy = { exposeLogits: false };
  it('auto: engine on a GPU build, host on the CPU build', () => {
    expect(resolveRankPath('auto', true, greedy)).toBe('engine');
    expect(resolveRankPath('auto', false, greedy)).toBe('host');
    expect(resolveRankPath('host', true, greedy)).toBe('host');
    expect(resolveRankPath('engine', false, greedy)).toBe('engine');
  });
  it('sampling with a top-k stays on the engine; without one (whole rows) auto ranks on the host and engine is refused in one line', () => {
    expect(resolveRankPath('engine', false, { exposeLogits: true, samplingTopK: 40 })).toBe('engine');
    expect(resolveRankPath('auto', true, { exposeLogits: true, samplingTopK: 40 })).toBe('engine');
    expect(resolveRankPath('auto', true, { exposeLogits: true, samplingTopK: 0 })).toBe('host');
    expect(resolveRankPath('auto', true, { exposeLogits: true })).toBe('host');
    for (const needs of [{ exposeLogits: true, samplingTopK: 0 }, { exposeLogits: true }]) {
      expect(() => resolveRankPath('engine', true, needs)).toThrow(TrbenchError);
      expect(() => resolveRankPath('engine', true, needs)).toThrow(/^rank engine cannot sample with top-k 0 exactly: [^\n]*$/);
    }
    expect(() => resolveRankPath('gpu' as 'host', true, greedy)).toThrow(/unknown ranking path "gpu"/);
  });
});

/** A random tree with uneven branching: parents drawn towards early nodes. */
function randomTree(draft: Draft, root: number, nodes: number, seed: number): void {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  draft.reset(root);
  for (let i = 1; i < nodes; i++) draft.add(3 + Math.floor(rnd() * 500), Math.floor(rnd() ** 1.7 * i));
}

/** Rows 0..rows-1 of two prediction buffers, ids and logits, as comparable arrays. */
function rowsOf(p: Predictions, rows: number) {
  return {
    ids: Array.from(p.topIds.subarray(0, rows * p.k)),
    logits: Array.from(p.topLogits.subarray(0, rows * p.k)),
    argmax: Array.from(p.argmax.subarray(0, rows)),
  };
}

const SAMPLING_TOP_K = 12;

describe('engine ranking on stories260K (CPU build)', () => {
  let host: LlamaCppModel;
  let engine: LlamaCppModel;
  beforeAll(async () => {
    ({ model: host } = await openStories260K({ maxDraftNodes: 64, topK: 8, rank: 'host', exposeLogits: true }));
    ({ model: engine } = await openStories260K({
      maxDraftNodes: 64,
      topK: 8,
      rank: 'engine',
      exposeLogits: true,
      samplingTopK: SAMPLING_TOP_K,
    }));
  });
  afterAll(() => {
    host?.dispose();
    engine?.dispose();
  });

  it('records the ranking path in the backend settings (auto = host on the CPU build, engine on a GPU build)', async () => {
    expect(host.backend.settings?.rank).toBe('host');
    expect(engine.backend.settings?.rank).toBe('engine');
    expect(engine.backend.settings?.engineTopK).toBe(SAMPLING_TOP_K + 1);
    const { model } = await openStories260K({ maxDraftNodes: 4, topK: 8 });
    try {
      expect(model.backend.settings?.rank).toBe(model.backend.device === 'cpu' ? 'host' : 'engine');
    } finally {
      model.dispose();
    }
  });

  it('every node of random trees and every prefill row: the same top-8 ids and logits as host ranking', () => {
    const prompt = host.tokenize('Once upon a time, there was a little dog named Max. He liked to run', true);
    const prefix = prompt.subarray(0, prompt.length - 1);
    const a = new Predictions(64, 8);
    const b = new Predictions(64, 8);
    host.reset();
    engine.reset();
    host.prefill(prefix, a);
    engine.prefill(prefix, b);
    expect(rowsOf(b, prefix.length)).toEqual(rowsOf(a, prefix.length));
    const draft = new Draft(64);
    for (const seed of [1, 2, 3]) {
      randomTree(draft, prompt[prompt.length - 1], 60, seed);
      host.evaluate(draft, a);
      engine.evaluate(draft, b);
      expect(rowsOf(b, draft.count)).toEqual(rowsOf(a, draft.count));
      // Commit a path so the next tree starts from a longer context on both.
      const path = new Int32Array([0, draft.firstChild[0]]);
      host.commit(path, 2);
      engine.commit(path, 2);
    }
    expect(engine.engineRankFallbacks).toBe(0);
  });

  it('nodeLogits on the engine path: the top-12 logits of the raw row at their ids, -inf elsewhere; top-k sampling over it is exact', () => {
    const prompt = host.tokenize('Lily and Ben went to the', true);
    const draft = new Draft(64);
    randomTree(draft, prompt[prompt.length - 1], 40, 9);
    const a = new Predictions(64, 8);
    const b = new Predictions(64, 8);
    for (const m of [host, engine]) {
      m.reset();
      m.prefill(prompt.subarray(0, prompt.length - 1), null);
    }
    host.evaluate(draft, a);
    engine.evaluate(draft, b);
    const top = new Predictions(1, SAMPLING_TOP_K);
    const options = { temperature: 0.8, topK: SAMPLING_TOP_K, topP: 0.9, seed: 0 };
    const full = new ProcessedDistribution(host.info.vocabSize);
    const kept = new ProcessedDistribution(host.info.vocabSize);
    for (let i = 0; i < draft.count; i++) {
      const raw = host.nodeLogits(i);
      const sparse = engine.nodeLogits(i);
      const ids: number[] = [];
      for (let t = 0; t < sparse.length; t++) if (sparse[t] !== Number.NEGATIVE_INFINITY) ids.push(t);
      expect(ids).toHaveLength(SAMPLING_TOP_K);
      for (const t of ids) expect(sparse[t]).toBe(raw[t]);
      // The kept ids are exactly the raw row's top-12 under the tie rule.
      const rawCopy = raw.slice();
      top.count = 0;
      for (let r = 0; r < SAMPLING_TOP_K; r++) {
        let best = -1;
        for (let t = 0; t < rawCopy.length; t++) if (best < 0 || rawCopy[t] > rawCopy[best]) best = t;
        top.topIds[r] = best;
        rawCopy[best] = Number.NEGATIVE_INFINITY;
      }
      expect(ids).toEqual(Array.from(top.topIds).sort((x, y) => x - y));
      full.build(host.nodeLogits(i), 0, options);
      kept.build(engine.nodeLogits(i), 0, options);
      expect(Array.from(kept.ids.subarray(0, kept.size))).toEqual(Array.from(full.ids.subarray(0, full.size)));
      expect(Array.from(kept.weights.subarray(0, kept.size))).toEqual(Array.from(full.weights.subarray(0, full.size)));
    }
  });

  it('gives no logits rows when not opened for top-k sampling (whole rows are not there)', async () => {
    const { model } = await openStories260K({ maxDraftNodes: 4, topK: 8, rank: 'engine' });
    try {
      const draft = new Draft(4);
      draft.reset(1);
      model.evaluate(draft, new Predictions(4, 8));
      expect(() => model.nodeLogits(0)).toThrow(/returns only each node's top-8, not whole logits rows; use --rank host$/);
    } finally {
      model.dispose();
    }
  });

  it('refuses log-sum-exp (it needs whole rows)', () => {
    const draft = new Draft(4);
    draft.reset(1);
    engine.reset();
    expect(() => engine.evaluate(draft, new Predictions(4, 8), true)).toThrow(/log-sum-exp needs whole logits rows/);
  });

  it('refuses to open for sampling with top-k 0 on the engine path, in one line', async () => {
    await expect(openStories260K({ maxDraftNodes: 4, topK: 8, rank: 'engine', exposeLogits: true, samplingTopK: 0 })).rejects.toThrow(
      /^rank engine cannot sample with top-k 0 exactly/,
    );
  });
});

/**
 * stories260K with its embedding rows copied in groups of five (tokens 3+5g … 7+5g share token 3+5g's row,
 * g ≤ 100): their logits are bit-identical, so a row's top-8 usually ends inside a group of equal logits
 * and rank 9 ties with rank 8 — the case the engine's own choice among equal logits cannot decide.
 */
function writeTiedModel(source: string, dir: string): string {
  const header = readGgufHeader(source);
  const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
  if (embd?.type !== 0) throw new Error('expected an f32 token_embd.weight');
  const dim = embd.shape[1];
  const weights = readTensorF32(header, 'token_embd.weight');
  for (let g = 0; g <= 100; g++) {
    const first = 3 + 5 * g;
    const row = weights.slice(first * dim, (first + 1) * dim);
    for (let r = 1; r < 5; r++) weights.set(row, (first + r) * dim);
  }
  const file = path.join(dir, 'stories260K-tied-fives.gguf');
  copyFileSync(source, file);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), 0, weights.byteLength, embd.offset);
  } finally {
    closeSync(fd);
  }
  return file;
}

describe('a tie at the engine’s last kept rank', () => {
  let dir: string;
  let host: LlamaCppModel;
  let engine: LlamaCppModel;
  beforeAll(async () => {
    const source = await resolveModel('stories260K');
    dir = mkdtempSync(path.join(tmpdir(), 'trbench-engine-tie-'));
    const file = writeTiedModel(source.path, dir);
    // The device of the other tests (scripts/gpu-check.sh sets TRBENCH_TEST_DEVICE=cuda).
    const device = process.env.TRBENCH_TEST_DEVICE;
    const gpu: GpuChoice = device === 'cuda' || device === 'vulkan' ? device : false;
    const common = { path: file, name: 'tied', sha256: '-', gpu, kvCacheType: 'f32' as const, maxDraftNodes: 64, topK: 8 };
    host = await LlamaCppModel.open({ ...common, rank: 'host' });
    engine = await LlamaCppModel.open({ ...common, rank: 'engine', exposeLogits: true, samplingTopK: 8 });
  });
  afterAll(() => {
    host?.dispose();
    engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is detected, the batch decoded again with raw logits, and every node still equals host ranking', () => {
    const prompt = host.tokenize('Once upon a time, there was a big tree', true);
    const prefix = prompt.subarray(0, prompt.length - 1);
    const a = new Predictions(64, 8);
    const b = new Predictions(64, 8);
    host.reset();
    engine.reset();
    host.prefill(prefix, a);
    engine.prefill(prefix, b);
    expect(rowsOf(b, prefix.length)).toEqual(rowsOf(a, prefix.length));
    const draft = new Draft(64);
    let tiedAtRank8 = 0;
    let engineChoiceWrong = 0;
    // The engine's own candidates (re-sorted by the tie rule) of the decode before the fallback.
    const kept = (engine as unknown as { engine: EngineTopK }).engine;
    for (const seed of [4, 5, 6, 7]) {
      randomTree(draft, prompt[prompt.length - 1], 50, seed);
      host.evaluate(draft, a);
      const fallbacks = engine.engineRankFallbacks;
      engine.evaluate(draft, b);
      expect(rowsOf(b, draft.count)).toEqual(rowsOf(a, draft.count));
      for (let i = 0; i < draft.count; i++) {
        for (let r = 0; r < 8; r++) if (kept.ids[i * kept.keep + r] !== a.topIds[i * 8 + r]) engineChoiceWrong++;
      }
      // After a fallback the engine model has the raw rows, the host's.
      if (engine.engineRankFallbacks > fallbacks)
        for (let i = 0; i < draft.count; i++) expect(engine.nodeLogits(i)).toEqual(host.nodeLogits(i));
      for (let i = 0; i < draft.count; i++) {
        // Ties the host resolved by id: equal logits at ranks 7 and 8 (a group of five cut by the top-8).
        if (a.topLogits[i * 8 + 7] === a.topLogits[i * 8 + 6]) tiedAtRank8++;
      }
      const path = new Int32Array([0, draft.firstChild[0]]);
      host.commit(path, 2);
      engine.commit(path, 2);
    }
    expect(tiedAtRank8).toBeGreaterThan(0);
    expect(engine.engineRankFallbacks).toBeGreaterThan(0);
    // Negative control: on the CPU build the engine's own choice among equal logits would have given other
    // top-8 ids (CUDA's stable sort happens to agree with the tie rule inside the kept set).
    if (engine.backend.device === 'cpu') expect(engineChoiceWrong).toBeGreaterThan(0);
  });

  it('leaves the KV cache as a normal decode does: greedy generation gives the host’s tokens', () => {
    const prompt = host.tokenize('One day, Tim saw a', true);
    const run = (m: LlamaCppModel) =>
      Array.from(new DecodeLoop(m, new AutoregressiveDrafter()).generate(prompt, { maxNewTokens: 40 }).tokens);
    const before = engine.engineRankFallbacks;
    expect(run(engine)).toEqual(run(host));
    expect(engine.engineRankFallbacks).toBeGreaterThan(before);
  });
});
