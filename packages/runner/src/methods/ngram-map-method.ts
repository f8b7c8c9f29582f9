import { NGRAM_MAP_DEFAULTS, type NgramMapK4vDrafter, type NgramMapKDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { lifetimeFlag, lifetimeParam } from './ngram-lifetime.ts';
import { registerMethod } from './registry.ts';

type NgramMapParams = { sizeN: number; sizeM: number; minHits: number };

/**
 * Registers one of llama.cpp's two n-gram map speculators (`ngram-map-k`, `ngram-map-k4v`): the same
 * parameters under llama.cpp's flag names `--spec-<name>-size-n/-size-m/-min-hits`; they differ in the drafter
 * and in what `min-hits` means.
 */
export function registerNgramMapMethod(spec: {
  name: 'ngram-map-k' | 'ngram-map-k4v';
  summary: string;
  minHitsDescription: string;
  create: (params: NgramMapParams, lifetime: 'warm' | 'cold') => NgramMapKDrafter | NgramMapK4vDrafter;
}): void {
  const d = NGRAM_MAP_DEFAULTS;
  const params = z
    .object({
      sizeN: z.number().int().min(1).max(1024).default(d.sizeN),
      sizeM: z.number().int().min(1).max(1024).default(d.sizeM),
      minHits: z.number().int().min(1).max(65_535).default(d.minHits),
      lifetime: lifetimeParam,
    })
    .strict();
  const n = spec.name;
  registerMethod({
    name: n,
    summary: spec.summary,
    params,
    flags: [
      { flags: `--spec-${n}-size-n <n>`, description: `${n}: key n-gram length (default ${d.sizeN})`, param: 'sizeN' },
      { flags: `--spec-${n}-size-m <n>`, description: `${n}: value m-gram length = max draft (default ${d.sizeM})`, param: 'sizeM' },
      { flags: `--spec-${n}-min-hits <n>`, description: `${n}: ${spec.minHitsDescription} (default ${d.minHits})`, param: 'minHits' },
      lifetimeFlag,
    ],
    requirements: (p) => ({ maxDraftNodes: p.sizeM + 1, topK: 1 }),
    create: ({ lifetime, ...p }) => spec.create(p, lifetime),
    // One slot's key list and hash index survive between requests (warm).
    carriesState: (p) => p.lifetime === 'warm',
  });
}
