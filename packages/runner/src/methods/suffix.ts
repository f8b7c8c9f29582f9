import { SUFFIX_DEFAULTS, SuffixDecodingDrafter, SuffixGlobalCache } from '@trbench/baselines';
import { z } from 'zod';
import { registerMethod } from './registry.ts';

const d = SUFFIX_DEFAULTS;
const params = z
  .object({
    maxDepth: z.number().int().min(2).max(1024).default(d.maxDepth),
    maxSpecTokens: z.number().int().min(1).max(255).default(d.maxSpecTokens),
    alpha: z.number().min(0).max(100).default(d.alpha),
    offset: z.number().min(-1000).max(1000).default(d.offset),
    minTokenProb: z.number().min(0).max(1).default(d.minTokenProb),
    maxCachedRequests: z.number().int().min(-1).default(d.maxCachedRequests),
    path: z.boolean().default(!d.tree),
  })
  .strict();

registerMethod({
  name: 'suffix',
  summary: 'SuffixDecoding: per-request + global suffix trees, frequency-scored tree drafts of α × match length',
  params,
  flags: [
    { flags: '--suffix-depth <n>', description: 'suffix: max tree depth (default 64)', param: 'maxDepth' },
    { flags: '--suffix-max-tokens <n>', description: 'suffix: most draft tokens per step (default 64)', param: 'maxSpecTokens' },
    { flags: '--suffix-alpha <x>', description: 'suffix: draft at most α × match length tokens (default 1)', param: 'alpha' },
    { flags: '--suffix-offset <x>', description: 'suffix: ... plus this offset (default 0)', param: 'offset' },
    { flags: '--suffix-min-prob <p>', description: 'suffix: min estimated token probability (default 0.1)', param: 'minTokenProb' },
    {
      flags: '--suffix-cache <n>',
      description: 'suffix: outputs kept in the global tree (FIFO; 0 = off, -1 = unbounded)',
      param: 'maxCachedRequests',
    },
    { flags: '--suffix-path', description: 'suffix: draft a single path instead of a tree', param: 'path', parse: () => true },
  ],
  requirements: (p) => ({ maxDraftNodes: p.maxSpecTokens + 1, topK: 1 }),
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
