import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { Draft, Predictions, rankLogitsRow, TrbenchError } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttentionForm } from './llama-graph.ts';
import type { OnnxModel } from './onnx-model.ts';
import { lcg, maxAbsDiff, openBoth, randomTree } from './testing/compare.ts';

const N = 81;
const K = 8;

describe.each<AttentionForm>(['op', 'decomposed'])('onnx backend (%s attention) against llama.cpp on stories260K', (form) => {
  let onnx: OnnxModel;
  let llama: LlamaCppModel;
  const worst = { prompt: 0, trees: 0, afterCommit: 0, nonTree: 0 };

  beforeAll(async () => {
    ({ onnx, llama } = await openBoth(N, K, true, form));
  });
  afterAll(() => {
    console.log(`${form} attention: max |onnx - llama.cpp| logit difference: ${JSON.stringify(worst)}`);
    onnx?.dispose();
    llama?.dispose();
  });

  /** Evaluates `draft` on both backends (same committed context) and checks every node. */
  function compareDraft(draft: Draft, label: keyof typeof worst): void {
    const a = new Predictions(N, K);
    const b = new Predictions(N, K);
    onnx.evaluate(draft, a, true);
    llama.evaluate(draft, b, true);
    for (let i = 0; i < draft.count; i++) {
      expect(a.argmax[i], `node ${i}`).toBe(b.argmax[i]);
      worst[label] = Math.max(worst[label], maxAbsDiff(onnx.logitsRow(i), llama.nodeLogits(i)));
      expect(Math.abs(a.logSumExp[i] - b.logSumExp[i])).toBeLessThan(1e-3);
    }
    expect(worst[label]).toBeLessThanOrEqual(1e-3);
  }

  function prefillBoth(tokens: Int32Array): void {
    onnx.reset();
    llama.reset();
    onnx.prefill(tokens, null);
    llama.prefill(tokens, null);
  }

  it('tokenizes identically', () => {
    for (const text of ['Once upon a time', '', 'Tim said, "Look, a ½ moon!"\n\nThe end.']) {
      expect(Array.from(onnx.tokenize(text, true))).toEqual(Array.from(llama.tokenize(text, true)));
      expect(Array.from(onnx.tokenize(text, false))).toEqual(Array.from(llama.tokenize(text, false)));
    }
    const ids = onnx.tokenize('Lily went to the park.', true);
    expect(onnx.detokenize(ids)).toBe(llama.detokenize(ids));
    expect(onnx.isEndOfGeneration(1)).toBe(true);
    expect(onnx.isEndOfGeneration(2)).toBe(true);
    expect(onnx.isEndOfGeneration(403)).toBe(false);
  });

  it('prefill rows: same argmax, logits within 1e-3, top-k equal to rankLogitsRow of its own logits', () => {
    const prompt = onnx.tokenize('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.', true);
    const a = new Predictions(prompt.length, K);
    const b = new Predictions(prompt.length, K);
    onnx.reset();
    llama.reset();
    onnx.prefill(prompt, a);
    llama.prefill(prompt, b);
    expect(onnx.committedLength).toBe(prompt.length);
    const own = new Predictions(prompt.length, K);
    for (let i = 0; i < prompt.length; i++) {
      expect(a.argmax[i], `row ${i}`).toBe(b.argmax[i]);
      worst.prompt = Math.max(worst.prompt, maxAbsDiff(onnx.logitsRow(i), llama.nodeLogits(i)));
      rankLogitsRow(onnx.logitsRow(i), 0, onnx.info.vocabSize, own, i, false);
    }
    expect(worst.prompt).toBeLessThanOrEqual(1e-3);
    expect(Array.from(a.topIds)).toEqual(Array.from(own.topIds));
    expect(Array.from(a.topLogits)).toEqual(Array.from(own.topLogits));
  });

  it('random trees: same argmax at every node, logits within 1e-3', () => {
    const prompt = onnx.tokenize('Once upon a time, there was a little dog named Max. He liked to run', true);
    const draft = new Draft(N);
    const rnd = lcg(5);
    for (const nodes of [N, 40, 17, 2, 1]) {
      prefillBoth(prompt.subarray(0, prompt.length - 1));
      randomTree(draft, prompt[prompt.length - 1], nodes, rnd);
      compareDraft(draft, 'trees');
    }
  });

  it('after committing an accepted path, the next trees still agree (KV compaction)', () => {
    const prompt = onnx.tokenize('Tom had a big red ball. He', true);
    prefillBoth(prompt.subarray(0, prompt.length - 1));
    const draft = new Draft(N);
    const rnd = lcg(11);
    let root = prompt[prompt.length - 1];
    for (let step = 0; step < 12; step++) {
      randomTree(draft, root, 20 + Math.floor(rnd() * 60), rnd);
      compareDraft(draft, 'afterCommit');
      // accept the path to a random node (often deep): the root's KV plus a non-contiguous set of rows
      const target = Math.floor(rnd() * draft.count);
      const path: number[] = [];
      for (let n = target; n >= 0; n = draft.parent[n]) path.unshift(n);
      onnx.commit(Int32Array.from(path), path.length);
      llama.commit(Int32Array.from(path), path.length);
      expect(onnx.committedLength).toBe(llama.committedLength);
      root = 3 + Math.floor(rnd() * 509);
    }
    expect(onnx.committedLength).toBeGreaterThan(prompt.length + 12);
  });

  it('non-tree visibility (a node also sees an earlier sibling) agrees with llama.cpp', () => {
    const prompt = onnx.tokenize('One day, a little girl went to the park', true);
    prefillBoth(prompt.subarray(0, prompt.length - 1));
    const draft = new Draft(N);
    draft.reset(prompt[prompt.length - 1]);
    const a = draft.add(300, 0);
    const b = draft.add(310, 0);
    draft.allowSee(b, a);
    draft.add(320, b);
    draft.add(330, a);
    compareDraft(draft, 'nonTree');
    // negative control: without the extra edge, node b's logits change
    const leaky = onnx.logitsRow(b).slice();
    const tree = new Draft(N);
    tree.reset(prompt[prompt.length - 1]);
    tree.add(300, 0);
    tree.add(310, 0);
    onnx.evaluate(tree, new Predictions(N, K));
    expect(maxAbsDiff(leaky, onnx.logitsRow(b))).toBeGreaterThan(1e-2);
  });

  it('refuses drafts and prefills beyond the context with TrbenchError', () => {
    const draft = new Draft(N);
    onnx.reset();
    onnx.prefill(new Array(onnx.info.contextSize - 2).fill(5), null);
    draft.reset(1);
    draft.add(2, draft.add(2, 0));
    expect(() => onnx.evaluate(draft, new Predictions(N, K))).toThrow(TrbenchError);
    expect(() => onnx.evaluate(draft, new Predictions(N, K))).toThrow(/beyond the context/);
    expect(() => onnx.prefill([5, 5, 5], null)).toThrow(/do not fit the context/);
    draft.reset(9999);
    expect(() => onnx.evaluate(draft, new Predictions(N, K))).toThrow(/outside the vocabulary/);
  });

  it('refuses commit paths that do not follow the last draft from its root', () => {
    onnx.reset();
    onnx.prefill([1, 5], null);
    const draft = new Draft(N);
    draft.reset(7);
    const a = draft.add(8, 0);
    const b = draft.add(9, a);
    draft.add(10, 0);
    onnx.evaluate(draft, new Predictions(N, K));
    expect(() => onnx.commit(Int32Array.of(0, b), 2)).toThrow(/not a child of node 0/);
    expect(() => onnx.commit(Int32Array.of(a, b), 2)).toThrow(/start at the root/);
    onnx.commit(Int32Array.of(0, a, b), 3);
    expect(onnx.committedLength).toBe(5);
    expect(() => onnx.commit(Int32Array.of(0), 1)).toThrow(/without a preceding evaluate/);
  });
});
