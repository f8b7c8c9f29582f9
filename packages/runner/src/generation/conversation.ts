import { acceptHistogram, type DecodeLoop, type GenerationResult, type SamplingOptions, sum } from '@trbench/core';
import type { Question } from '../datasets/types.ts';
import type { PromptTemplate } from '../models/templates.ts';
import type { TurnEvidence } from './lossless.ts';

/** Measurements of one turn. Token ids are those the loop committed (EOS included when it stopped). */
export interface TurnOutcome {
  promptTokens: number;
  tokens: number[];
  stopReason: GenerationResult['stopReason'];
  steps: number;
  /** Index = tokens committed in one step (bonus included); AR has everything at 1. */
  acceptHist: number[];
  /** Mean draft size (nodes, root included) per step. */
  meanDraftNodes: number;
  /**
   * Prefill and every step; tokenization, detokenization and template building are outside it.
   * `verifyMs` is absent from records made before the loop timed the verifier apart from the rest.
   * `cpuMs`: CPU time of the whole process (user + system) over the same span, absent from older records.
   */
  timing: Omit<GenerationResult['timing'], 'verifyMs'> & { verifyMs?: number; cpuMs?: number };
  /** Spec-Bench's re-count: tokens of the post-processed answer re-tokenized without BOS (for comparison only). */
  recount: number;
}

export interface QuestionOutcome {
  status: 'done' | 'skipped';
  /** Why the question was skipped (a turn's prompt does not fit the context). */
  skipReason?: string;
  /** Turns generated (for a skipped question, those before the one that did not fit). */
  turns: TurnOutcome[];
  /** Per turn: its prompt ids and the target's top-2 per committed token (diagnoses a divergence; never recorded). */
  evidence: TurnEvidence[];
  /** Per turn: accepted draft tokens per step (bonus excluded) and the steps per draft source, when the drafter names them. */
  stepsOf: TurnSteps[];
}

/** Every step of one turn, as the decode loop recorded it. */
export interface TurnSteps {
  acceptedPerStep: Int32Array;
  draftSources?: Record<string, number>;
}

/** A question's steps over all its turns: `acceptedPerStep` concatenated (length = steps), `draftSources` summed. */
export function questionSteps(turns: readonly TurnSteps[]): { acceptedPerStep: number[]; draftSources?: Record<string, number> } {
  const acceptedPerStep: number[] = [];
  let draftSources: Record<string, number> | undefined;
  for (const t of turns) {
    for (const a of t.acceptedPerStep) acceptedPerStep.push(a);
    if (t.draftSources) {
      draftSources ??= {};
      for (const [label, n] of Object.entries(t.draftSources)) draftSources[label] = (draftSources[label] ?? 0) + n;
    }
  }
  return draftSources ? { acceptedPerStep, draftSources } : { acceptedPerStep };
}

/**
 * Answers every turn of a question in order, as Spec-Bench does: each turn is a separate request on the
 * whole conversation re-rendered by the template, with the post-processed earlier answers. Only the
 * decode loop is timed. A turn whose prompt leaves no room in the context skips the question. `signal`
 * stops it at the next decode step (InterruptedError); the loop yields to the event loop meanwhile.
 */
export async function runQuestion(
  loop: DecodeLoop,
  template: PromptTemplate,
  question: Question,
  maxNewTokens: number,
  sampling?: { options: SamplingOptions; questionIndex: number },
  signal?: AbortSignal,
): Promise<QuestionOutcome> {
  const model = loop.model;
  const contextSize = model.info.contextSize;
  const answers: string[] = [];
  const turns: TurnOutcome[] = [];
  const evidence: TurnEvidence[] = [];
  const stepsOf: TurnSteps[] = [];
  for (let t = 0; t < question.turns.length; t++) {
    const prompt = model.tokenize(template.render(question.turns.slice(0, t + 1), answers), true);
    if (prompt.length >= contextSize) {
      return {
        status: 'skipped',
        skipReason: `turn ${t + 1} prompt has ${prompt.length} tokens; the context holds ${contextSize}`,
        turns,
        evidence,
        stepsOf,
      };
    }
    // CPU time next to wall time: on a shared machine the wall clock also counts waiting for a core, which
    // the CPU time of a single-threaded backend does not (the CI gate can compare on it).
    const cpu0 = process.cpuUsage();
    const result = await loop.generateAsync(prompt, {
      signal,
      maxNewTokens,
      sampling: sampling && { ...sampling.options, seed: turnSeed(sampling.options.seed, sampling.questionIndex, t) },
    });
    const cpu = process.cpuUsage(cpu0);
    const answer = template.postProcess(model.detokenize(result.tokens));
    answers.push(answer);
    turns.push({
      promptTokens: prompt.length,
      tokens: Array.from(result.tokens),
      stopReason: result.stopReason,
      steps: result.steps,
      acceptHist: acceptHistogram(result.acceptLengths),
      meanDraftNodes: result.steps === 0 ? 0 : sum(result.draftNodes) / result.steps,
      timing: { ...result.timing, cpuMs: (cpu.user + cpu.system) / 1000 },
      recount: answer === '' ? 0 : model.tokenize(answer, false).length,
    });
    evidence.push({ prompt, trace: result.trace });
    stepsOf.push(
      result.draftSources
        ? { acceptedPerStep: result.acceptedPerStep, draftSources: result.draftSources }
        : { acceptedPerStep: result.acceptedPerStep },
    );
  }
  return { status: 'done', turns, evidence, stepsOf };
}

/**
 * Seed of one turn: depends on the base seed, the question's position and the turn only, so every method
 * gets the same seed for the same turn and a replayed (resumed) question draws the same tokens.
 */
export function turnSeed(base: number, questionIndex: number, turn: number): number {
  return (Math.imul(base >>> 0, 1_000_003) + Math.imul(questionIndex + 1, 7919) + turn) >>> 0;
}
