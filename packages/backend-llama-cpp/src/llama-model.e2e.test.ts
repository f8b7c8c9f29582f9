import { AutoregressiveDrafter, DecodeLoop, Draft, Predictions } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaCppModel } from './llama-model.ts';
import { openStories260K } from './testing/open-stories.ts';

let model: LlamaCppModel;
const GOLDEN_80 =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n' +
  "Lily's mom said, \"Lily, let's go to";
const GOLDEN_FIRST_IDS = [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338];

beforeAll(async () => {
  ({ model } = await openStories260K({ maxDraftNodes: 64, topK: 8 }));
});
afterAll(() => model?.dispose());

/** A random tree with uneven branching: parents drawn towards early nodes. */
function randomTree(draft: Draft, root: number, nodes: number, seed: number): void {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  draft.reset(root);
  for (let i = 1; i < nodes; i++) draft.add(3 + Math.floor(rnd() * 500), Math.floor(rnd() ** 1.7 * i));
}

function pathTokens(draft: Draft, node: number): number[] {
  const out: number[] = [];
  for (let n = node; n >= 0; n = draft.parent[n]) out.unshift(draft.tokens[n]);
  return out;
}

/** Logits after `path` evaluated linearly in a fresh context on top of `prefix`. */
function linearLogits(prefix: Int32Array, path: number[]): Float32Array {
  const out = new Predictions(64, 8);
  model.reset();
  model.prefill(prefix, null);
  model.prefill(path, out);
  return model.nodeLogits(path.length - 1).slice();
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('llama.cpp backend on stories260K', () => {
  it('tokenizes like llama2.c and reproduces the golden greedy text', () => {
    expect(Array.from(model.tokenize('Once upon a time', true))).toEqual([1, 403, 407, 261, 378]);
    const r = new DecodeLoop(model, new AutoregressiveDrafter()).generate(model.tokenize('', true), { maxNewTokens: 80 });
    expect(Array.from(r.tokens.subarray(0, 16))).toEqual(GOLDEN_FIRST_IDS);
    expect(model.detokenize(r.tokens)).toBe(GOLDEN_80);
  });

  it('evaluates random trees in one forward with each node equal to its path evaluated linearly', () => {
    const prompt = model.tokenize('Once upon a time, there was a little dog named Max. He liked to run', true);
    const prefix = prompt.subarray(0, prompt.length - 1);
    const draft = new Draft(64);
    const preds = new Predictions(64, 8);
    let worst = 0;
    for (const seed of [1, 2, 3]) {
      randomTree(draft, prompt[prompt.length - 1], 40, seed);
      expect(draft.maxDepth).toBeGreaterThanOrEqual(4);
      model.reset();
      model.prefill(prefix, null);
      model.evaluate(draft, preds);
      const tree = Array.from({ length: draft.count }, (_, i) => model.nodeLogits(i).slice());
      const argmax = Array.from(preds.argmax.subarray(0, draft.count));
      for (let i = 0; i < draft.count; i++) {
        const linear = linearLogits(prefix, pathTokens(draft, i));
        worst = Math.max(worst, maxAbsDiff(tree[i], linear));
        let best = 0;
        for (let t = 1; t < linear.length; t++) if (linear[t] > linear[best]) best = t;
        expect(argmax[i]).toBe(best);
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('negative control: letting a node see its sibling changes its logits', () => {
    const prompt = model.tokenize('One day, a little girl went to the park', true);
    const prefix = prompt.subarray(0, prompt.length - 1);
    const draft = new Draft(64);
    draft.reset(prompt[prompt.length - 1]);
    const a = draft.add(300, 0);
    const b = draft.add(310, 0);
    draft.allowSee(b, a); // b now also attends to its sibling a
    const preds = new Predictions(64, 8);
    model.reset();
    model.prefill(prefix, null);
    model.evaluate(draft, preds);
    const leaky = model.nodeLogits(b).slice();
    const linear = linearLogits(prefix, pathTokens(draft, b));
    expect(maxAbsDiff(leaky, linear)).toBeGreaterThan(1e-2);
  });

  it('after pruning to one accepted path the next step equals the linear run', () => {
    const prompt = model.tokenize('Tom had a big red ball', true);
    const prefix = prompt.subarray(0, prompt.length - 1);
    const draft = new Draft(64);
    const preds = new Predictions(64, 8);
    randomTree(draft, prompt[prompt.length - 1], 30, 11);
    // accept the path to the deepest node
    let deepest = 0;
    for (let i = 0; i < draft.count; i++) if (draft.depth[i] > draft.depth[deepest]) deepest = i;
    const path: number[] = [];
    for (let n = deepest; n >= 0; n = draft.parent[n]) path.unshift(n);
    model.reset();
    model.prefill(prefix, null);
    model.evaluate(draft, preds);
    model.commit(Int32Array.from(path), path.length);
    expect(model.committedLength).toBe(prefix.length + path.length);
    const next = new Draft(64);
    next.reset(77);
    next.add(78, 0);
    model.evaluate(next, preds);
    const got = [model.nodeLogits(0).slice(), model.nodeLogits(1).slice()];
    const tokens = path.map((n) => draft.tokens[n]);
    expect(maxAbsDiff(got[0], linearLogits(prefix, [...tokens, 77]))).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(got[1], linearLogits(prefix, [...tokens, 77, 78]))).toBeLessThanOrEqual(1e-4);
  });

  it('5,000 tree evaluations do not grow the process memory', () => {
    const prompt = model.tokenize('Lily and Ben played with a ball', true);
    const draft = new Draft(64);
    const preds = new Predictions(64, 8);
    const path = new Int32Array(1);
    const cycle = (count: number) => {
      for (let i = 0; i < count; i++) {
        if (i % 200 === 0) {
          model.reset();
          model.prefill(prompt.subarray(0, prompt.length - 1), null);
        }
        randomTree(draft, prompt[prompt.length - 1], 16, i + 1);
        model.evaluate(draft, preds);
        model.commit(path, 1);
      }
    };
    cycle(500); // warm-up: allocators and JIT settle
    const before = process.memoryUsage().rss;
    cycle(5000);
    const growthMiB = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`RSS growth over 5000 tree evaluations: ${growthMiB.toFixed(2)} MiB`);
    expect(growthMiB).toBeLessThan(16);
  });

  it('refuses a draft deeper than the context', () => {
    const draft = new Draft(64);
    draft.reset(1);
    model.reset();
    model.prefill(new Array(model.info.contextSize - 2).fill(5), null);
    draft.add(2, draft.add(2, 0));
    expect(() => model.evaluate(draft, new Predictions(64, 8))).toThrow(/beyond the context/);
  });
});

describe('llama.cpp backend: evaluate without commit', () => {
  it('a second evaluate discards the uncommitted draft of the first', () => {
    const prompt = model.tokenize('The cat sat on the', true);
    const draft = new Draft(64);
    const preds = new Predictions(64, 8);
    model.reset();
    model.prefill(prompt.subarray(0, prompt.length - 1), null);
    randomTree(draft, prompt[prompt.length - 1], 20, 5);
    model.evaluate(draft, preds);
    const first = Array.from(preds.argmax.subarray(0, draft.count));
    model.evaluate(draft, preds); // no commit in between
    expect(Array.from(preds.argmax.subarray(0, draft.count))).toEqual(first);
    model.commit(Int32Array.of(0), 1);
    expect(model.committedLength).toBe(prompt.length);
  });
});

describe('llama.cpp backend: a wide draft at the end of the context', () => {
  it('evaluates a full-width tree when only a few positions are left', () => {
    const draft = new Draft(64);
    const preds = new Predictions(64, 8);
    model.reset();
    model.prefill(new Array(model.info.contextSize - 4).fill(7), null);
    draft.reset(7);
    for (let i = 1; i < 64; i++) draft.add(5 + i, i <= 20 ? 0 : 1 + ((i * 7) % 20)); // 63 nodes, depth 2
    model.evaluate(draft, preds);
    model.commit(Int32Array.of(0), 1);
    expect(model.committedLength).toBe(model.info.contextSize - 3);
  });
});
