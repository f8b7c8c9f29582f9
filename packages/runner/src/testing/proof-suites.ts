import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, type Drafter, type TargetModel } from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodContext } from '../methods/registry.ts';
import { type BackendName, openModel } from '../models/open-model.ts';

/** A prompt of a proof suite: its tokens and plain greedy decoding's output, the lossless reference. */
export interface ProofPrompt {
  id: string;
  ids: Int32Array;
  reference: Int32Array;
}

/** The two suites every registry proof runs: stories and Spec-Bench first turns, with their references. */
export interface ProofSuites {
  stories: ProofPrompt[];
  specBench: ProofPrompt[];
  /** Spec-Bench first turns that do not fit the context (counted, not run). */
  specBenchSkipped: number;
  /** Spec-Bench first turns selected, skipped ones included. */
  specBenchTotal: number;
}

/** Plain greedy references of `maxNew` tokens for every prompt that fits the model's context. */
export function preparePrompts(
  model: TargetModel,
  prompts: { id: string; text: string }[],
  maxNew: number,
): { prepared: ProofPrompt[]; skipped: number } {
  const loop = new DecodeLoop(model, new AutoregressiveDrafter());
  const prepared: ProofPrompt[] = [];
  let skipped = 0;
  const progress = proofProgress(`plain decoding on ${model.backend.name}`, prompts.length);
  prompts.forEach((p, i) => {
    progress(i);
    const ids = model.tokenize(p.text, true);
    if (ids.length >= model.info.contextSize) skipped++;
    else prepared.push({ id: p.id, ids, reference: loop.generate(ids, { maxNewTokens: maxNew }).tokens });
  });
  return { prepared, skipped };
}

/**
 * Every `storyEvery`-th story and every `specBenchEvery`-th Spec-Bench first turn (1 = the whole suites, as
 * `npm run test:lossless` runs them), with plain decoding's references on `model`.
 */
export async function prepareProofSuites(
  model: TargetModel,
  options: { maxNew: number; storyEvery: number; specBenchEvery: number },
): Promise<ProofSuites> {
  const storyPrompts = loadStorySuite()
    .map((s) => ({ id: s.id, text: s.prompt }))
    .filter((_, i) => i % options.storyEvery === 0);
  const questions = (await loadSpecBenchQuestions())
    .map((q) => ({ id: String(q.question_id), text: q.turns[0] }))
    .filter((_, i) => i % options.specBenchEvery === 0);
  const stories = preparePrompts(model, storyPrompts, options.maxNew).prepared;
  const specBench = preparePrompts(model, questions, options.maxNew);
  return {
    stories,
    specBench: specBench.prepared,
    specBenchSkipped: specBench.skipped,
    specBenchTotal: questions.length,
  };
}

/** Whether a run's tokens are the reference's, token for token. */
export function sameTokens(tokens: Int32Array, reference: Int32Array): boolean {
  return tokens.length === reference.length && tokens.every((t, i) => t === reference[i]);
}

/** Spec-Bench first turns of the 480 that fit stories260K's 512-token context with 200 new tokens. */
const SPEC_BENCH_FITTING = 316;

/** What a registry proof's tests read: filled before the first test runs (in `beforeAll`). */
export interface RegistryProof {
  readonly backend: BackendName;
  model: TargetModel;
  stories: ProofPrompt[];
  specBench: ProofPrompt[];
  /** The context `createDrafter` needs for stories260K on this backend. */
  context: MethodContext;
}

/**
 * The set-up every registry proof shares, once per backend (llama.cpp and ONNX): stories260K opened for
 * `maxDraftNodes` × `topK`, the story suite and the Spec-Bench first turns with plain decoding's references
 * (every 6th story and every 60th question in `npm test`, whole suites in `npm run test:lossless`), a test
 * that the suites are what they should be, and the model disposed after. `body` registers the method tests.
 */
export function describeRegistryProof(
  title: string,
  options: { maxDraftNodes: number; topK: number; maxNew: number },
  body: (proof: RegistryProof) => void,
): void {
  for (const backend of ['llama.cpp', 'onnx'] as BackendName[]) {
    describe(`${title} (${backend})`, { timeout: proofScale(900_000, 0) }, () => {
      const proof = { backend, stories: [], specBench: [] } as unknown as RegistryProof;
      let skipped = 0;
      let total = 0;
      beforeAll(
        async () => {
          const opened = await openModel({
            model: 'stories260K',
            backend,
            threads: 1,
            maxDraftNodes: options.maxDraftNodes,
            topK: options.topK,
          });
          proof.model = opened.model;
          proof.context = {
            vocabSize: opened.model.info.vocabSize,
            modelSha256: opened.resolved.sha256,
            modelName: 'stories260K',
            modelSpec: 'stories260K',
            model: opened.model,
          };
          const suites = await prepareProofSuites(opened.model, {
            maxNew: options.maxNew,
            storyEvery: proofScale(6, 1),
            specBenchEvery: proofScale(60, 1),
          });
          proof.stories = suites.stories;
          proof.specBench = suites.specBench;
          skipped = suites.specBenchSkipped;
          total = suites.specBenchTotal;
        },
        proofScale(600_000, 0),
      );
      afterAll(() => proof.model?.dispose());

      it('the suites are what we think they are', () => {
        expect(proof.stories.length).toBe(proofScale(8, 48));
        expect(proof.specBench.length + skipped).toBe(total);
        if (total === 480 && options.maxNew === 200) expect(proof.specBench.length).toBe(SPEC_BENCH_FITTING);
        expect(proof.specBench.length).toBeGreaterThan(0);
      });

      body(proof);
    });
  }
}

/** One drafter over one suite in order (its state carries from prompt to prompt, as in a serving run). */
export function runSuite(
  model: TargetModel,
  drafter: Drafter,
  suite: ProofPrompt[],
  maxNew: number,
): { steps: number; tokens: number; diverged: string[] } {
  const loop = new DecodeLoop(model, drafter);
  const diverged: string[] = [];
  let steps = 0;
  let tokens = 0;
  for (const p of suite) {
    const r = loop.generate(p.ids, { maxNewTokens: maxNew });
    steps += r.steps;
    tokens += r.tokens.length;
    if (!sameTokens(r.tokens, p.reference)) diverged.push(p.id);
  }
  return { steps, tokens, diverged };
}
