import { NGRAM_MOD_DEFAULTS, NgramModDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { lifetimeFlag, lifetimeParam } from './ngram-lifetime.ts';
import { registerMethod } from './registry.ts';

const d = NGRAM_MOD_DEFAULTS;
const params = z
  .object({
    nMatch: z.number().int().min(1).max(1024).default(d.nMatch),
    nMin: z.number().int().min(0).max(1024).default(d.nMin),
    nMax: z.number().int().min(0).max(1024).default(d.nMax),
    lifetime: lifetimeParam,
  })
  .strict();

registerMethod({
  name: 'ngram-mod',
  summary: 'llama.cpp --spec-type ngram-mod (--spec-default): hashed n-gram → next token table, chains of 48–64',
  params,
  flags: [
    { flags: '--spec-ngram-mod-n-match <n>', description: 'ngram-mod: hashed n-gram length (default 24)', param: 'nMatch' },
    { flags: '--spec-ngram-mod-n-min <n>', description: 'ngram-mod: drop chains shorter than this (default 48)', param: 'nMin' },
    { flags: '--spec-ngram-mod-n-max <n>', description: 'ngram-mod: most tokens drafted (default 64)', param: 'nMax' },
    lifetimeFlag,
  ],
  requirements: (p) => ({ maxDraftNodes: p.nMax + 1, topK: 1 }),
  create: ({ lifetime, ...p }) => new NgramModDrafter(p, lifetime),
  // One table per server, kept across requests (warm).
  carriesState: (p) => p.lifetime === 'warm',
});
