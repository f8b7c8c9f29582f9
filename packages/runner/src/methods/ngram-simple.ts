import { NGRAM_SIMPLE_DEFAULTS, NgramSimpleDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { lifetimeFlag, lifetimeParam } from './ngram-lifetime.ts';
import { registerMethod } from './registry.ts';

const d = NGRAM_SIMPLE_DEFAULTS;
const params = z
  .object({
    sizeN: z.number().int().min(1).max(1024).default(d.sizeN),
    sizeM: z.number().int().min(1).max(1024).default(d.sizeM),
    minHits: z.number().int().min(1).default(d.minHits),
    lifetime: lifetimeParam,
  })
  .strict();

registerMethod({
  name: 'ngram-simple',
  summary: 'llama.cpp --spec-type ngram-simple: copy up to m tokens after the newest earlier n-gram (n = 12, m = 48)',
  params,
  flags: [
    { flags: '--spec-ngram-simple-size-n <n>', description: 'ngram-simple: lookup n-gram length (default 12)', param: 'sizeN' },
    { flags: '--spec-ngram-simple-size-m <n>', description: 'ngram-simple: draft m-gram length (default 48)', param: 'sizeM' },
    {
      flags: '--spec-ngram-simple-min-hits <n>',
      description: 'ngram-simple: accepted for parity; llama.cpp never uses it (default 1)',
      param: 'minHits',
    },
    lifetimeFlag,
  ],
  requirements: (p) => ({ maxDraftNodes: p.sizeM + 1, topK: 1 }),
  create: ({ lifetime, ...p }) => new NgramSimpleDrafter(p, lifetime),
  carriesState: () => false,
});
