// Batched decoding is lossless on the real model (stories260K, llama.cpp, CPU): every request of every method
// at batch 1, 4 and 8 (continuous batching over the story suite, each forward verifying every request's draft
// at once) gets exactly plain decoding's tokens alone. A divergence is classified as today (numeric tie flip
// vs logic bug, from both runs' top-2); none is expected with the f32 KV cache. `npm test`: every 6th story,
// 64 new tokens; `npm run test:lossless`: all 48 stories, 200 new tokens.
import { loadStorySuite } from '@trbench/assets';
import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import {
  AutoregressiveDrafter,
  type BatchBudget,
  BatchDecodeLoop,
  type CommitTraceData,
  classifyDivergence,
  DecodeLoop,
} from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlotDrafters, getMethod, parseMethodParams } from '../methods/index.ts';
import { openBatchModel } from '../models/open-batch-model.ts';
import { openModel } from '../models/open-model.ts';

const MAX_NEW = proofScale(64, 200);
const BATCHES = [1, 4, 8];
const METHODS: Array<[string, Record<string, unknown>]> = [
  ['ar', {}],
  ['tr', { template: '2.2.2' }],
  ['tr', { template: 'chain:2' }],
  ['suffix', {}],
  ['pld', {}],
];

interface Reference {
  prompt: Int32Array;
  tokens: Int32Array;
  trace: CommitTraceData;
}

let single: LlamaCppModel;
let refs: Reference[];

beforeAll(async () => {
  const opened = await openModel({
    model: 'stories260K',
    backend: 'llama.cpp',
    device: 'cpu',
    threads: 1,
    maxDraftNodes: 1,
    topK: 2,
    rank: 'host',
  });
  single = opened.model as LlamaCppModel;
  const stories = loadStorySuite().filter((_, i) => i % proofScale(6, 1) === 0);
  const loop = new DecodeLoop(single, new AutoregressiveDrafter());
  const progress = proofProgress('plain decoding (reference)', stories.length);
  refs = stories.map((s, i) => {
    progress(i);
    const prompt = single.tokenize(s.prompt, true);
    const r = loop.generate(prompt, { maxNewTokens: MAX_NEW });
    return { prompt, tokens: r.tokens, trace: r.trace };
  });
});
afterAll(() => single?.dispose());

const at = (trace: CommitTraceData, committed: number, i: number) => ({
  committed,
  id: trace.ids[2 * i],
  logit: trace.logits[2 * i],
  runnerUp: { id: trace.ids[2 * i + 1], logit: trace.logits[2 * i + 1] },
});

/** Runs every reference prompt through the batched loop; returns identical / numeric / logic counts. */
async function runBatched(method: string, params: Record<string, unknown>, batch: number, budget?: BatchBudget) {
  const spec = getMethod(method);
  const req = spec.requirements(parseMethodParams(spec, params, 'proof'));
  const { model } = await openBatchModel({
    model: 'stories260K',
    backend: 'llama.cpp',
    device: 'cpu',
    threads: 1,
    maxDraftNodes: req.maxDraftNodes,
    topK: Math.max(2, req.topK),
    batch,
  });
  try {
    const context = { vocabSize: model.info.vocabSize, modelSha256: model.info.sha256, modelName: model.info.name, model: single };
    const drafters = await createSlotDrafters(method, params, context, batch);
    const run = new BatchDecodeLoop(model, drafters).run(
      refs.map((r) => ({ prompt: r.prompt, maxNewTokens: MAX_NEW })),
      { budget },
    );
    const out = {
      identical: 0,
      numeric: 0,
      logic: [] as string[],
      mat: run.tokens / run.results.reduce((a, r) => a + r.steps, 0),
      nodes: run.meanNodesPerForward,
    };
    run.results.forEach((r, q) => {
      const ref = refs[q];
      const n = Math.min(r.tokens.length, ref.tokens.length);
      let i = 0;
      while (i < n && r.tokens[i] === ref.tokens[i]) i++;
      if (i === n && r.tokens.length === ref.tokens.length) {
        out.identical++;
        return;
      }
      if (i === n) {
        out.logic.push(`story ${q}: lengths ${r.tokens.length} vs ${ref.tokens.length}`);
        return;
      }
      const verdict = classifyDivergence(at(ref.trace, ref.tokens[i], i), at(r.trace, r.tokens[i], i));
      if (verdict.kind === 'numeric') out.numeric++;
      else out.logic.push(`story ${q} at token ${i}: ${verdict.kind}: ${verdict.reason}`);
    });
    return out;
  } finally {
    model.dispose();
  }
}

describe('batched decoding is lossless on stories260K (llama.cpp)', { timeout: proofScale(900_000, 0) }, () => {
  for (const [method, params] of METHODS) {
    for (const batch of BATCHES) {
      const label = `${method}${params.template ? ` ${params.template}` : ''}`;
      it(`${label} at batch ${batch}: every request equals plain decoding alone`, async () => {
        const out = await runBatched(method, params, batch);
        process.stderr.write(
          `  ${label} B=${batch}: ${out.identical}/${refs.length} identical, ${out.numeric} numeric, MAT ${out.mat.toFixed(3)}, ${out.nodes.toFixed(1)} nodes/forward\n`,
        );
        expect(out.logic).toEqual([]);
        // f32 KV cache: no tie flips either.
        expect(out.identical).toBe(refs.length);
      });
    }
  }

  it('the shared budget (cost curve that makes drafts pay for some requests only) changes no token', async () => {
    const curve = { sizes: [1, 8, 16, 32, 64, 128], ms: [1, 1.2, 1.6, 3, 6, 12], contextLength: 0 };
    const out = await runBatched('tr', { template: '2.2.2' }, 4, { policy: 'shared', curve });
    expect(out.logic).toEqual([]);
    expect(out.identical).toBe(refs.length);
  });
});
