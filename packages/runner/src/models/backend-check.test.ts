import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import type { Draft, Predictions, TargetModel } from '@trbench/core';
import { parseTemplate } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTreeAgainstLinear } from './backend-check.ts';

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
