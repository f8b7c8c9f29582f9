import { NGRAM_MAP_DEFAULTS, NgramMapKDrafter } from '@trbench/baselines';
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
  name: 'ngram-map-k',
  summary: "llama.cpp --spec-type ngram-map-k: hash-indexed n-gram lookup, m tokens cut to the key's last acceptance",
  params,
  flags: [
    { flags: '--spec-ngram-map-k-size-n <n>', description: 'ngram-map-k: key n-gram length (default 12)', param: 'sizeN' },
    { flags: '--spec-ngram-map-k-size-m <n>', description: 'ngram-map-k: value m-gram length = max draft (default 48)', param: 'sizeM' },
    {
      flags: '--spec-ngram-map-k-min-hits <n>',
      description: 'ngram-map-k: accepted for parity; llama.cpp never checks it for map-k (default 1)',
      param: 'minHits',
    },
    lifetimeFlag,
  ],
  requirements: (p) => ({ maxDraftNodes: p.sizeM + 1, topK: 1 }),
  create: ({ lifetime, ...p }) => new NgramMapKDrafter(p, lifetime),
  // One slot's key list and hash index survive between requests (warm).
  carriesState: (p) => p.lifetime === 'warm',
});
