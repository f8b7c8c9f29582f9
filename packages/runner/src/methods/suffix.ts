import {
  SUFFIX_DEFAULTS,
  SUFFIX_VLLM_DEFAULTS,
  SUFFIX_VLLM_UPSTREAM_DEFAULTS,
  SuffixDecodingDrafter,
  SuffixGlobalCache,
  type SuffixOptions,
} from '@trbench/baselines';
import { z } from 'zod';
import { type MethodFlag, registerMethod } from './registry.ts';

/** The parameters of a SuffixDecoding preset, defaulting to that preset's values. */
function suffixParams(d: Readonly<SuffixOptions>) {
  return z
    .object({
      maxDepth: z.number().int().min(2).max(1024).default(d.maxDepth),
      maxSpecTokens: z.number().int().min(1).max(255).default(d.maxSpecTokens),
      alpha: z.number().min(0).max(100).default(d.alpha),
      offset: z.number().min(-1000).max(1000).default(d.offset),
      minTokenProb: z.number().min(0).max(1).default(d.minTokenProb),
      maxCachedRequests: z.number().int().min(-1).default(d.maxCachedRequests),
      path: z.boolean().default(!d.tree),
      /** Cut of the chosen draft (0 = none): the serving engine's `num_speculative_tokens`. */
      maxDraftTokens: z
        .number()
        .int()
        .min(0)
        .max(255)
        .default(d.maxDraftTokens ?? 0),
      /** vLLM: no draft on the first step (its token comes from the prefill). */
      firstTokenFromPrefill: z.boolean().default(d.firstTokenFromPrefill ?? false),
      /** vLLM: speculate at most contextSize − tokens − 1. */
      capToContext: z.boolean().default(d.capToContext ?? false),
    })
    .strict();
}

// One set of flags for the three presets (the CLI deduplicates flags by their text).
const flags: MethodFlag[] = [
  { flags: '--suffix-depth <n>', description: 'suffix: max tree depth (default 64; suffix-vllm-upstream 24)', param: 'maxDepth' },
  {
    flags: '--suffix-max-tokens <n>',
    description: 'suffix: most tokens per speculation (default 64; suffix-vllm 128, suffix-vllm-upstream 24)',
    param: 'maxSpecTokens',
  },
  { flags: '--suffix-alpha <x>', description: 'suffix: draft at most α × match length tokens (default 1)', param: 'alpha' },
  { flags: '--suffix-offset <x>', description: 'suffix: ... plus this offset (default 0)', param: 'offset' },
  { flags: '--suffix-min-prob <p>', description: 'suffix: min estimated token probability (default 0.1)', param: 'minTokenProb' },
  {
    flags: '--suffix-cache <n>',
    description: 'suffix: outputs kept in the global tree (FIFO; 0 = off, -1 = unbounded)',
    param: 'maxCachedRequests',
  },
  { flags: '--suffix-path', description: 'suffix: draft a single path instead of a tree', param: 'path', parse: () => true },
  {
    flags: '--suffix-draft-cut <n>',
    description: 'suffix: keep the first n tokens of the chosen draft (0 = all; suffix-vllm 16)',
    param: 'maxDraftTokens',
  },
];

function registerSuffix(name: string, summary: string, defaults: Readonly<SuffixOptions>): void {
  registerMethod({
    name,
    summary,
    params: suffixParams(defaults),
    flags,
    requirements: (p) => ({
      maxDraftNodes: (p.maxDraftTokens > 0 ? Math.min(p.maxDraftTokens, p.maxSpecTokens) : p.maxSpecTokens) + 1,
      topK: 1,
    }),
    create: ({ path, ...p }) => new SuffixDecodingDrafter({ ...p, tree: !path }),
    // The per-request tree is cleared per request; the global tree keeps earlier outputs unless it is off.
    carriesState: (p) => p.maxCachedRequests !== 0,
    // Batched: a per-request tree per slot, one global tree of outputs for all of them.
    batchSharing: (p) => (p.maxCachedRequests !== 0 ? 'shared' : 'per-request'),
    createSlots: ({ path, ...p }, _ctx, slots) => {
      const cache = new SuffixGlobalCache(p.maxDepth, p.maxSpecTokens);
      return Array.from({ length: slots }, () => new SuffixDecodingDrafter({ ...p, tree: !path }, cache));
    },
  });
}

registerSuffix(
  'suffix',
  "SuffixDecoding as the authors' offline simulator: per-request + global suffix trees, tree drafts of ≤ 64 tokens (α × match length)",
  SUFFIX_DEFAULTS,
);
registerSuffix(
  'suffix-vllm',
  "SuffixDecoding as ArcticInference's vLLM plugin runs it: path drafts cut to 16 tokens, depth 64, 100 000 cached outputs",
  SUFFIX_VLLM_DEFAULTS,
);
registerSuffix(
  'suffix-vllm-upstream',
  "SuffixDecoding as upstream vLLM's `method: suffix` runs it: path drafts of ≤ 24 tokens, depth 24, 10 000 cached outputs",
  SUFFIX_VLLM_UPSTREAM_DEFAULTS,
);
