import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadStorySuite, readGgufHeader, resolveModel, STORIES260K_VOCAB } from '@trbench/assets';
import { DecodeLoop, Draft, type Drafter, Predictions, type TargetModel } from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import { parseTemplate, TokenRecyclingDrafter } from '@trbench/token-recycling';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, type BackendName, openModel } from '../models/open-model.ts';

/**
 * Wide-vocabulary twins (issue 19): an f32 twin with V = 32,000 and an untied LM head computes
 * stories260K's logits for the real tokens and keeps its 31,488 extra tokens out of every result. On
 * both backends: the same greedy tokens, the same top-k ids and logits at every position and the same
 * log-sum-exp (bit for bit), and Token Recycling takes the same steps with the same top-k at every node
 * of every tree. Other types: the extra tokens never enter a top-k and add exactly nothing to a
 * log-sum-exp. Negative control: one extra token's LM-head row turned round wins.
 */
const WIDE = 'twin:d256-l5-h32-kv16-f172-v32000:f32';
const K = 8;
const TR_NODES = 81;
const suite = loadStorySuite();
const STORIES = proofScale(
  suite.filter((_, i) => i % 12 === 0),
  suite,
);
const NEW_TOKENS = proofScale(60, 200);

const tmp = mkdtempSync(path.join(tmpdir(), 'trbench-twin-wide-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One-token forwards expose the logits (to bound the extra tokens'); trees do not need them. */
async function open(model: string, backend: BackendName, maxDraftNodes = 1): Promise<TargetModel> {
  const opened = await openModel({ model, backend, device: 'cpu', threads: 1, maxDraftNodes, topK: K, exposeLogits: maxDraftNodes === 1 });
  return opened.model;
}

async function openPath(file: string, backend: BackendName): Promise<TargetModel> {
  const resolved = await resolveModel(WIDE);
  const common = { path: file, name: 'broken', sha256: 'broken', extraStopTokens: resolved.extraStopTokens, maxDraftNodes: 1, topK: K };
  if (backend === 'onnx') {
    const { OnnxModel } = await import('@trbench/backend-onnx');
    return OnnxModel.open(common);
  }
  const { LlamaCppModel } = await import('@trbench/backend-llama-cpp');
  return LlamaCppModel.open({ ...common, gpu: false, kvCacheType: 'f32' });
}

/** One greedy run, one token per forward: tokens, and per position the top-k ids, logits and log-sum-exp. */
interface Trace {
  tokens: number[];
  topIds: number[];
  topLogits: number[];
  logSumExp: number[];
  /** Largest logit of an extra token minus the top logit, over all positions. */
  extraMargin: number;
}

function trace(model: TargetModel, prompt: string, maxNewTokens: number): Trace {
  const draft = new Draft(1);
  const out = new Predictions(1, K);
  const root = Int32Array.of(0);
  const t: Trace = { tokens: [], topIds: [], topLogits: [], logSumExp: [], extraMargin: -Infinity };
  model.reset();
  const ids = model.tokenize(prompt, true);
  model.prefill(ids.subarray(0, ids.length - 1));
  let token = ids[ids.length - 1];
  for (let i = 0; i < maxNewTokens; i++) {
    draft.reset(token);
    model.evaluate(draft, out, true);
    t.topIds.push(...out.topIds.subarray(0, K));
    t.topLogits.push(...out.topLogits.subarray(0, K));
    t.logSumExp.push(out.logSumExp[0]);
    const logits = model.nodeLogits?.(0);
    if (logits && logits.length > STORIES260K_VOCAB) {
      let max = -Infinity;
      for (let v = STORIES260K_VOCAB; v < logits.length; v++) if (logits[v] > max) max = logits[v];
      t.extraMargin = Math.max(t.extraMargin, max - out.topLogits[0]);
    }
    model.commit(root, 1);
    token = out.argmax[0];
    t.tokens.push(token);
    if (model.isEndOfGeneration(token)) break;
  }
  return t;
}

/** Token Recycling (2.2.2 tree, k = 8, hot state across prompts): per prompt the tokens, the steps and a hash of every node's top-k. */
function trRun(model: TargetModel, prompts: string[]): Array<{ tokens: number[]; steps: number; topK: string }> {
  const drafter: Drafter = new TokenRecyclingDrafter({
    vocabSize: model.info.vocabSize,
    k: K,
    template: parseTemplate('2.2.2', K),
    modelSha256: 'same-for-both',
  });
  let hash = 0x811c9dc5;
  const bits = new Uint32Array(1);
  const floats = new Float32Array(bits.buffer);
  const mix = (x: number) => {
    hash = Math.imul(hash ^ x, 0x01000193) >>> 0;
  };
  // Every forward's top-k goes into the hash (the instance's evaluate wrapped for this run only).
  const evaluate = model.evaluate;
  model.evaluate = (draft, out, withLogSumExp) => {
    evaluate.call(model, draft, out, withLogSumExp);
    for (let i = 0; i < draft.count * K; i++) {
      mix(out.topIds[i]);
      floats[0] = out.topLogits[i];
      mix(bits[0]);
    }
  };
  try {
    const loop = new DecodeLoop(model, drafter);
    const progress = proofProgress('tr', prompts.length);
    return prompts.map((p, i) => {
      progress(i);
      hash = 0x811c9dc5;
      const r = loop.generate(model.tokenize(p, true), { maxNewTokens: NEW_TOKENS });
      return { tokens: Array.from(r.tokens), steps: r.steps, topK: hash.toString(16) };
    });
  } finally {
    model.evaluate = evaluate;
  }
}

describe.each(BACKENDS)('a V = 32,000 twin on %s', { timeout: proofScale(600_000, 0) }, (backend) => {
  it(`gives stories260K's tokens, top-${K} lists and log-sum-exp at every position (${STORIES.length} stories × ${NEW_TOKENS} tokens)`, async () => {
    const real = await open('stories260K', backend);
    const wide = await open(WIDE, backend);
    try {
      expect(wide.info.vocabSize).toBe(32_000);
      const progress = proofProgress('wide twin', STORIES.length);
      for (const [i, s] of STORIES.entries()) {
        progress(i);
        const want = trace(real, s.prompt, NEW_TOKENS);
        const got = trace(wide, s.prompt, NEW_TOKENS);
        expect(got.tokens, s.id).toEqual(want.tokens);
        expect(got.topIds, s.id).toEqual(want.topIds);
        expect(got.topLogits, s.id).toEqual(want.topLogits);
        expect(got.logSumExp, s.id).toEqual(want.logSumExp);
        // exp(extra − top) is 0 in f64, let alone f32: the extra tokens add nothing to any log-sum-exp.
        expect(Math.exp(got.extraMargin), s.id).toBe(0);
      }
    } finally {
      real.dispose();
      wide.dispose();
    }
  });

  it('takes the same Token Recycling steps with the same top-k at every node of every tree', async () => {
    const real = await open('stories260K', backend, TR_NODES);
    const wide = await open(WIDE, backend, TR_NODES);
    try {
      const prompts = STORIES.slice(0, proofScale(2, STORIES.length)).map((s) => s.prompt);
      const want = trRun(real, prompts);
      const got = trRun(wide, prompts);
      expect(got).toEqual(want);
      expect(got.reduce((a, r) => a + r.tokens.length, 0) / got.reduce((a, r) => a + r.steps, 0)).toBeGreaterThan(1.5);
    } finally {
      real.dispose();
      wide.dispose();
    }
  });

  it('negative control: one extra token whose LM-head row is turned round wins, and the tokens change', async () => {
    const resolved = await resolveModel(WIDE);
    const header = readGgufHeader(resolved.path);
    const head = header.tensors.find((t) => t.name === 'output.weight')!;
    const dim = head.shape[1];
    const broken = path.join(tmp, `broken-${backend}.gguf`);
    copyFileSync(resolved.path, broken);
    // Row 600, column dim − 1 (the constant channel): −2000 → +2000.
    const fd = openSync(broken, 'r+');
    try {
      const value = Buffer.alloc(4);
      value.writeFloatLE(2000, 0);
      writeSync(fd, value, 0, 4, head.offset + (600 * dim + dim - 1) * 4);
    } finally {
      closeSync(fd);
    }
    const model = await openPath(broken, backend);
    try {
      const t = trace(model, STORIES[0].prompt, 8);
      expect(t.tokens[0]).toBe(600);
    } finally {
      model.dispose();
    }
  });

  it.each(['f16', 'q8_0', 'q4_0'])('in %s the extra tokens never enter a top-k and add nothing to a log-sum-exp', async (type) => {
    const model = await open(`twin:d256-l5-h32-kv16-f192-v32000:${type}`, backend);
    try {
      for (const s of STORIES.slice(0, 2)) {
        const t = trace(model, s.prompt, 40);
        expect(t.topIds.every((id) => id < STORIES260K_VOCAB)).toBe(true);
        expect(Math.exp(t.extraMargin)).toBe(0);
      }
    } finally {
      model.dispose();
    }
  });
});
