import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import type { Draft, Predictions, TargetModel } from '@trbench/core';
import { parseTemplate } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTreeAgainstLinear, textTokenIds } from './backend-check.ts';

let model: TargetModel;
const tree = parseTemplate('2.2.2', 8);
const options = {
  prompt: 'Once upon a time, there was a little dog named Max. He liked to run',
  tolerance: 1e-4,
  name: 'stories260K',
  sha256: 'x',
};

beforeAll(async () => {
  ({ model } = await openStories260K({ maxDraftNodes: tree.nodes, topK: 8 }));
});
afterAll(() => model?.dispose());

describe('checkTreeAgainstLinear on stories260K (llama.cpp, CPU)', () => {
  it('passes: every node of the 81-node tree equals its path evaluated linearly', () => {
    const r = checkTreeAgainstLinear(model, tree, options);
    expect(r).toMatchObject({ nodes: 81, paths: 40, passed: true, argmaxMismatches: [] });
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('fails when tree attention leaks: a node that also sees its sibling', () => {
    // Node 2 (a child of the root) is let see node 1, its sibling: what a wrong mask would do.
    const leaky = new Proxy(model, {
      get(target, prop, receiver) {
        if (prop === 'evaluate')
          return (draft: Draft, out: Predictions) => {
            draft.allowSee(2, 1);
            target.evaluate(draft, out);
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const r = checkTreeAgainstLinear(leaky, tree, options);
    expect(r.passed).toBe(false);
    expect(r.maxAbsDiff).toBeGreaterThan(1e-2);
  });
});

describe('checkTreeAgainstLinear on a V = 32,000 f32 twin (llama.cpp, CPU)', () => {
  it('draws nodes from the tokens text can produce and passes; the padding is left out', async () => {
    const resolved = await resolveModel('twin:d128-l5-h8-kv4-f172-v32000:f32');
    const ids = textTokenIds(resolved.path);
    // stories260K's 512 tokens less BOS/EOS/UNK; the 31,488 UNUSED padding entries are not drawn.
    expect(ids.length).toBe(509);
    expect(ids[0]).toBe(3);
    expect(ids[ids.length - 1]).toBe(511);
    const wide = await LlamaCppModel.open({
      path: resolved.path,
      name: resolved.name,
      sha256: resolved.sha256,
      extraStopTokens: resolved.extraStopTokens,
      maxDraftNodes: tree.nodes,
      topK: 8,
      contextSize: 256,
    });
    try {
      const r = checkTreeAgainstLinear(wide, tree, { ...options, name: resolved.name, nodeTokens: ids });
      expect(r).toMatchObject({ vocabSize: 32000, nodes: 81, passed: true, argmaxMismatches: [] });
      expect(r.maxScaledDiff).toBeLessThanOrEqual(1e-4);
    } finally {
      wide.dispose();
    }
  });
});
