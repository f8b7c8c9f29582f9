import { AutoregressiveDrafter, DecodeLoop, type Drafter, type TargetModel } from '@trbench/core';
import { proofProgress } from '@trbench/core/testing';
import type { SuitePrompt } from './suites.ts';

/** A prompt tokenised for a model; `skipped` when it does not fit the context (prompt tokens >= context). */
export interface PreparedPrompt extends SuitePrompt {
  ids: Int32Array;
  skipped: boolean;
  /** Plain greedy decoding's tokens (empty when skipped). */
  reference: Int32Array;
}

/** Per-method outcome over a suite. */
export interface SuiteOutcome {
  method: string;
  identical: number;
  diverged: number;
  skipped: number;
  /** Pooled MAT: tokens / steps over the prompts that ran. */
  mat: number;
  steps: number;
  tokens: number;
  /** Mean draft size per forward (nodes, root included): the tokens each target forward evaluates. */
  meanDraftNodes: number;
  /** Prompts whose output differed from plain decoding, with the first differing index. */
  divergences: { id: string; at: number }[];
}

/** Tokenises the prompts (BOS + raw text) and decodes each greedily once: the reference for every method. */
export function prepareSuite(model: TargetModel, prompts: SuitePrompt[], maxNewTokens: number): PreparedPrompt[] {
  const loop = new DecodeLoop(model, new AutoregressiveDrafter());
  const progress = proofProgress('plain decoding (reference)', prompts.length);
  return prompts.map((p, i) => {
    progress(i);
    const ids = model.tokenize(p.text, true);
    const skipped = ids.length >= model.info.contextSize;
    const reference = skipped ? new Int32Array(0) : loop.generate(ids, { maxNewTokens }).tokens;
    return { ...p, ids, skipped, reference };
  });
}

/** Runs one drafter instance over the suite in order and compares every output with the reference. */
export function compareWithReference(model: TargetModel, drafter: Drafter, suite: PreparedPrompt[], maxNewTokens: number): SuiteOutcome {
  const loop = new DecodeLoop(model, drafter);
  const out: SuiteOutcome = {
    method: drafter.name,
    identical: 0,
    diverged: 0,
    skipped: 0,
    mat: 0,
    steps: 0,
    tokens: 0,
    meanDraftNodes: 0,
    divergences: [],
  };
  let nodes = 0;
  const progress = proofProgress(drafter.name, suite.length);
  for (const [i, p] of suite.entries()) {
    progress(i);
    if (p.skipped) {
      out.skipped++;
      continue;
    }
    const result = loop.generate(p.ids, { maxNewTokens });
    out.steps += result.steps;
    out.tokens += result.tokens.length;
    for (const n of result.draftNodes) nodes += n;
    const at = firstDifference(result.tokens, p.reference);
    if (at < 0) out.identical++;
    else {
      out.diverged++;
      out.divergences.push({ id: p.id, at });
    }
  }
  out.mat = out.steps === 0 ? 0 : out.tokens / out.steps;
  out.meanDraftNodes = out.steps === 0 ? 0 : nodes / out.steps;
  return out;
}

function firstDifference(a: Int32Array, b: Int32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
