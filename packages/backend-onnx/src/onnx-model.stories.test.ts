import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { AutoregressiveDrafter, DecodeLoop, type Draft, type Drafter, type TokenHistory } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxModel } from './onnx-model.ts';
import { lcg, openBoth } from './testing/compare.ts';

const MAX_NEW = 200;
const stories = readFileSync(path.join(repoRoot, 'datasets', 'stories', 'prompts.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { id: string; prompt: string });

/**
 * A test drafter that knows the expected continuation: it drafts a chain of the true next tokens (with
 * planted mistakes) and hides it among random siblings and branches, so verification must pick the right
 * child and commit must compact non-contiguous KV rows.
 */
class OracleTreeDrafter implements Drafter {
  readonly name = 'oracle-tree';
  readonly maxDraftNodes = 32;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  reference: Int32Array = new Int32Array(0);
  private readonly rnd = lcg(2024);

  beginRequest(): void {}
  propose(history: TokenHistory, draft: Draft): void {
    const rnd = this.rnd;
    const random = () => 3 + Math.floor(rnd() * 509);
    const produced = history.length - history.promptLength;
    const depth = Math.floor(rnd() * 7);
    let parent = 0;
    for (let d = 0; d < depth && draft.count < this.maxDraftNodes - 4; d++) {
      for (let s = Math.floor(rnd() * 3); s > 0; s--) draft.add(random(), parent);
      const truth = produced + d < this.reference.length ? this.reference[produced + d] : random();
      parent = draft.add(rnd() < 0.1 ? random() : truth, parent);
    }
    const size = Math.min(this.maxDraftNodes, draft.count + Math.floor(rnd() * 12));
    while (draft.count < size) draft.add(random(), Math.floor(rnd() * draft.count));
  }
  observe(): void {}
  endRequest(): void {}
}

let onnx: OnnxModel;
let llama: LlamaCppModel;
const reference = new Map<string, Int32Array>();

beforeAll(async () => {
  ({ onnx, llama } = await openBoth(32, 1, false));
});
afterAll(() => {
  onnx?.dispose();
  llama?.dispose();
});

describe(`story suite (${stories.length} prompts, ${MAX_NEW} new tokens)`, () => {
  it('greedy decoding on onnx produces exactly llama.cpp tokens for every story', () => {
    expect(stories.length).toBe(48);
    const onLlama = new DecodeLoop(llama, new AutoregressiveDrafter());
    const onOnnx = new DecodeLoop(onnx, new AutoregressiveDrafter());
    let identical = 0;
    const differing: string[] = [];
    for (const s of stories) {
      const prompt = llama.tokenize(s.prompt, true);
      const want = onLlama.generate(prompt, { maxNewTokens: MAX_NEW });
      const got = onOnnx.generate(onnx.tokenize(s.prompt, true), { maxNewTokens: MAX_NEW });
      reference.set(s.id, want.tokens);
      if (got.tokens.length === want.tokens.length && got.tokens.every((t, i) => t === want.tokens[i])) identical++;
      else differing.push(s.id);
    }
    console.log(`greedy onnx vs llama.cpp: ${identical}/${stories.length} stories identical`);
    expect(differing).toEqual([]);
  });

  it('tree decoding on onnx is lossless (equals greedy) and accepts multi-token paths', () => {
    expect(reference.size).toBe(stories.length);
    const drafter = new OracleTreeDrafter();
    const loop = new DecodeLoop(onnx, drafter);
    let steps = 0;
    let tokens = 0;
    for (const s of stories) {
      const want = reference.get(s.id)!;
      drafter.reference = want;
      const got = loop.generate(onnx.tokenize(s.prompt, true), { maxNewTokens: MAX_NEW });
      expect(Array.from(got.tokens), s.id).toEqual(Array.from(want));
      steps += got.steps;
      tokens += got.tokens.length;
    }
    console.log(`oracle-tree on onnx: ${tokens} tokens in ${steps} steps (MAT ${(tokens / steps).toFixed(2)})`);
    expect(tokens / steps).toBeGreaterThan(1.5);
  });
});
