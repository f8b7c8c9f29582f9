import { type CostCurve, costAt } from '@trbench/core';

/** What the sweep's size is estimated from. */
export interface SweepPlanInput {
  /** Seconds left for the whole sweep (model loads, warm-ups, tuning, questions, report). */
  budgetSeconds: number;
  /** The target's measured forward time t(n) on this machine (the kit's cost-curve step). */
  curve: Pick<CostCurve, 'sizes' | 'ms'>;
  /** Target spec and where it runs. */
  model: string;
  device: 'cuda' | 'cpu';
  threads: number;
  /** Questions in the config (the dataset's first ones); the plan says how many of them fit the budget. */
  maxQuestions: number;
  maxNewTokens: number;
  /** The sweep's dataset (default: the story prompts). */
  dataset?: KitDataset;
  /** The user's own model (`run.sh --model/--hf`): no SpS row (its draft twin has stories260K's tokenizer); PLD instead. */
  userModel?: boolean;
  /** Prompt template of the target (default: the model's own). */
  template?: string;
}

/** The dataset a kit sweep runs: the story prompts, Spec-Bench, or a JSONL file with its field mapping. */
export type KitDataset =
  | { kind: 'stories' }
  | { kind: 'spec-bench' }
  | { kind: 'jsonl'; path: string; fields: { id?: string; prompt?: string; turns?: string; category?: string } };

/**
 * The field mapping of a user's JSONL file from its first object: Spec-Bench / MT-bench lines
 * (`question_id`, `category`, `turns`) or one prompt per line (`prompt`, optional `id`, `category`).
 */
export function jsonlFieldsOf(first: Record<string, unknown>): { id?: string; prompt?: string; turns?: string; category?: string } | null {
  const id = 'question_id' in first ? 'question_id' : 'id' in first ? 'id' : undefined;
  const category = typeof first.category === 'string' ? 'category' : undefined;
  const main = Array.isArray(first.turns) ? { turns: 'turns' } : typeof first.prompt === 'string' ? { prompt: 'prompt' } : null;
  if (!main) return null;
  return { ...(id ? { id } : {}), ...main, ...(category ? { category } : {}) };
}

/** The config's dataset entry: `maxQuestions` in all (Spec-Bench: spread evenly over its 6 subtasks). */
function datasetEntry(dataset: KitDataset, maxQuestions: number): { dataset: string; limit: number } & Record<string, unknown> {
  if (dataset.kind === 'spec-bench') return { dataset: 'spec-bench', limit: Math.max(1, Math.ceil(maxQuestions / 6)), pick: 'spread' };
  if (dataset.kind === 'jsonl') return { dataset: 'jsonl', path: dataset.path, fields: dataset.fields, limit: maxQuestions };
  return { dataset: 'stories', limit: maxQuestions };
}

export interface SweepPlan {
  /** The sweep config (trbench's config format, as JSON). */
  config: Record<string, unknown> & { datasets: { dataset: string; limit: number }[] };
  /** Questions expected to finish in the budget (the sweep is stopped at the deadline either way). */
  questions: number;
  /** Estimated seconds for the whole sweep. */
  estimateSeconds: number;
  /** How the estimate was made, for the report. */
  basis: string;
}

/**
 * The kit's methods: AR, TR 2.2.2, rank-0 chains, the tuned tree, SuffixDecoding, and SpS with stories260K
 * drafting (twins) or PLD (the user's model, whose tokenizer no carried draft shares).
 */
export function kitMethods(tuneNodes: number, userModel = false) {
  return [
    { method: 'tr' },
    { method: 'tr', params: { template: ['chain:4', 'chain:8'] } },
    { method: 'tr', params: { template: 'auto', tuneMaxNodes: tuneNodes, tunePrompts: 4, tuneMaxNewTokens: 32 } },
    { method: 'suffix' },
    // stories260K's function with the target's 32,000-token vocabulary (a draft must share the tokenizer).
    userModel ? { method: 'pld' } : { method: 'sps', params: { draftModel: 'twin:d128-l5-h8-kv4-f172-v32000:f32' } },
  ];
}

/**
 * Each variant's forwards per question and draft size, pessimistic (MAT 2 for trees and chains, 1.5 for
 * SuffixDecoding, 3 for SpS with its 4 draft forwards of stories260K at ~1 ms each): the sweep is stopped at
 * the deadline anyway; this only sizes it.
 */
const VARIANTS: { name: string; mat: number; nodes: (tuneNodes: number) => number; extraMs: number }[] = [
  { name: 'ar', mat: 1, nodes: () => 1, extraMs: 0 },
  { name: 'tr 2.2.2', mat: 2, nodes: () => 81, extraMs: 0 },
  { name: 'tr chain:4', mat: 2, nodes: () => 5, extraMs: 0 },
  { name: 'tr chain:8', mat: 2, nodes: () => 9, extraMs: 0 },
  { name: 'tr auto', mat: 2, nodes: (tune) => tune, extraMs: 0 },
  { name: 'suffix', mat: 1.5, nodes: () => 16, extraMs: 0 },
  { name: 'sps', mat: 3, nodes: () => 5, extraMs: 4 },
];
/** The user's model: PLD (n-gram copy, 10 draft tokens) in SpS's place. */
const PLD_VARIANT = { name: 'pld', mat: 1.5, nodes: () => 11, extraMs: 0 };

/**
 * Sizes the sweep to the time left: seconds per question = Σ over the 7 variants of maxNewTokens / MAT ×
 * (t(draft nodes) + host time per step), from the measured cost curve; fixed costs are the model loads,
 * one warm-up question per variant and tuning the tree on 4 × 32 tokens. At least one question; at most
 * the dataset.
 */
export function planSweep(input: SweepPlanInput): SweepPlan {
  const curve = { ...input.curve, contextLength: 0 };
  const t1 = costAt(curve, 1);
  const hostMs = Math.max(2, 0.3 * t1);
  const tuneNodes = input.device === 'cuda' ? 128 : 24;
  const stepMs = (v: (typeof VARIANTS)[number]) => costAt(curve, v.nodes(tuneNodes)) + hostMs + v.extraMs;
  const variants = input.userModel ? [...VARIANTS.slice(0, -1), PLD_VARIANT] : VARIANTS;
  const perQuestion = variants.reduce((sum, v) => sum + (input.maxNewTokens / v.mat) * stepMs(v), 0) / 1000;
  const loadSeconds = input.device === 'cuda' ? 25 : 5;
  const tuneSeconds = (((4 * 32) / 2) * (costAt(curve, tuneNodes) + hostMs) * 3) / 1000;
  const fixed = loadSeconds + tuneSeconds + perQuestion; // + warm-up: one question per variant
  const questions = Math.max(1, Math.min(input.maxQuestions, Math.floor((input.budgetSeconds - fixed) / perQuestion)));
  const config = {
    name: 'sweep',
    description: `offline kit sweep: ${input.model} on ${input.device}, sized to ${Math.round(input.budgetSeconds)} s`,
    maxNewTokens: input.maxNewTokens,
    warmup: 1,
    repeats: 1,
    models: [
      {
        model: input.model,
        id: 'target',
        backend: 'llama.cpp',
        device: input.device,
        threads: input.threads,
        ...(input.template ? { template: input.template } : {}),
      },
    ],
    datasets: [datasetEntry(input.dataset ?? { kind: 'stories' }, input.maxQuestions)],
    methods: kitMethods(tuneNodes, input.userModel),
  };
  return {
    config,
    questions,
    estimateSeconds: fixed + questions * perQuestion,
    basis:
      `t(1) = ${t1.toFixed(2)} ms, t(81) = ${costAt(curve, 81).toFixed(2)} ms, host ${hostMs.toFixed(1)} ms per step, ${input.maxNewTokens} new tokens, ` +
      `${perQuestion.toFixed(1)} s per question for 7 variants, ${fixed.toFixed(0)} s fixed (loads, tuning, warm-up)`,
  };
}
