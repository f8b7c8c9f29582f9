/** What the sweep's size is estimated from. */
export interface SweepPlanInput {
  /** Seconds left for the whole sweep (model loads, warm-ups, tuning, questions, report). */
  budgetSeconds: number;
  /** Measured forward time of one token on the target (t(1) of the cost curve), ms. */
  t1Ms: number;
  /** Target spec and where it runs. */
  model: string;
  device: 'cuda' | 'cpu';
  threads: number;
  /** Questions the dataset has. */
  maxQuestions: number;
  maxNewTokens: number;
}

export interface SweepPlan {
  /** The sweep config (trbench's config format, as JSON). */
  config: Record<string, unknown>;
  questions: number;
  /** Estimated seconds for the whole sweep. */
  estimateSeconds: number;
  /** How the estimate was made, for the report. */
  basis: string;
}

/** The kit's methods: AR, TR 2.2.2, rank-0 chains, the tuned tree, SuffixDecoding, SpS with stories260K drafting. */
export function kitMethods(tuneNodes: number) {
  return [
    { method: 'tr' },
    { method: 'tr', params: { template: ['chain:4', 'chain:8'] } },
    { method: 'tr', params: { template: 'auto', tuneMaxNodes: tuneNodes, tunePrompts: 4, tuneMaxNewTokens: 32 } },
    { method: 'suffix' },
    { method: 'sps', params: { draftModel: 'stories260K' } },
  ];
}

/** Variants per question: AR plus TR 2.2.2, two chains, the tuned tree, SuffixDecoding, SpS. */
const SPECULATIVE_VARIANTS = 6;
/**
 * A speculative variant's forwards per question relative to AR's (each verifies a tree that costs more than
 * one token, but commits MAT ≈ 2-5 tokens; SpS adds gamma draft forwards of stories260K per step). A
 * deliberately pessimistic 0.8: the sweep is cut at the deadline anyway, this only sizes it.
 */
const SPECULATIVE_SHARE = 0.8;

/**
 * Sizes the sweep to the time left: seconds per question ≈ maxNewTokens × (t(1) + host time per step) ×
 * (AR + 6 speculative variants × 0.8), plus fixed costs (model loads, one warm-up question per variant,
 * tuning the tree on 4 × 32 tokens). At least one question; at most the dataset.
 */
export function planSweep(input: SweepPlanInput): SweepPlan {
  const hostMs = Math.max(2, 0.3 * input.t1Ms);
  const stepMs = input.t1Ms + hostMs;
  const perQuestion = (input.maxNewTokens * stepMs * (1 + SPECULATIVE_VARIANTS * SPECULATIVE_SHARE)) / 1000;
  const loadSeconds = input.device === 'cuda' ? 25 : 5;
  const tuneSeconds = (4 * 32 * stepMs * 3) / 1000;
  const fixed = loadSeconds + tuneSeconds + perQuestion; // + warm-up: one question per variant
  const questions = Math.max(1, Math.min(input.maxQuestions, Math.floor((input.budgetSeconds - fixed) / perQuestion)));
  const tuneNodes = input.device === 'cuda' ? 128 : 24;
  const config = {
    name: 'sweep',
    description: `offline kit sweep: ${input.model} on ${input.device}, sized to ${Math.round(input.budgetSeconds)} s`,
    maxNewTokens: input.maxNewTokens,
    warmup: 1,
    repeats: 1,
    models: [{ model: input.model, id: 'target', backend: 'llama.cpp', device: input.device, threads: input.threads }],
    datasets: [{ dataset: 'stories', limit: questions }],
    methods: kitMethods(tuneNodes),
  };
  return {
    config,
    questions,
    estimateSeconds: fixed + questions * perQuestion,
    basis:
      `t(1) = ${input.t1Ms.toFixed(2)} ms + host ${hostMs.toFixed(1)} ms per step, ${input.maxNewTokens} new tokens, ` +
      `${perQuestion.toFixed(1)} s per question for 7 variants, ${fixed.toFixed(0)} s fixed (loads, tuning, warm-up)`,
  };
}
