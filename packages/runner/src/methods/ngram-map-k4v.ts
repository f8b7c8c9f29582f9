import { NGRAM_MAP_DEFAULTS, NgramMapK4vDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { lifetimeFlag, lifetimeParam } from './ngram-lifetime.ts';
import { registerMethod } from './registry.ts';

const d = NGRAM_MAP_DEFAULTS;
const params = z
  .object({
    sizeN: z.number().int().min(1).max(1024).default(d.sizeN),
    sizeM: z.number().int().min(1).max(1024).default(d.sizeM),
    minHits: z.number().int().min(1).max(65_535).default(d.minHits),
    lifetime: lifetimeParam,
  })
  .strict();

registerMethod({
  name: 'ngram-map-k4v',
  summary: 'llama.cpp --spec-type ngram-map-k4v: like ngram-map-k with 4 counted values per key, drafts a 2:1 majority',
  params,
  flags: [
    { flags: '--spec-ngram-map-k4v-size-n <n>', description: 'ngram-map-k4v: key n-gram length (default 12)', param: 'sizeN' },
    {
      flags: '--spec-ngram-map-k4v-size-m <n>',
      description: 'ngram-map-k4v: value m-gram length = max draft (default 48)',
      param: 'sizeM',
    },
    { flags: '--spec-ngram-map-k4v-min-hits <n>', description: 'ngram-map-k4v: key lookups before drafting (default 1)', param: 'minHits' },
    lifetimeFlag,
  ],
  requirements: (p) => ({ maxDraftNodes: p.sizeM + 1, topK: 1 }),
  create: ({ lifetime, ...p }) => new NgramMapK4vDrafter(p, lifetime),
  // One slot's key list and hash index survive between requests (warm).
  carriesState: (p) => p.lifetime === 'warm',
});
