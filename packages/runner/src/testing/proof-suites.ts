import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, type TargetModel } from '@trbench/core';
import { proofProgress } from '@trbench/core/testing';

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
