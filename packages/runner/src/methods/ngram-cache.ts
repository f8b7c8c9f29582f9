import { NGRAM_CACHE_DRAFT, NgramCacheDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { lifetimeFlag, lifetimeParam } from './ngram-lifetime.ts';
import { registerMethod } from './registry.ts';

// llama.cpp has no numeric flags for ngram-cache (n_draft = 8 is hard-coded); its cache files
// (-lcs/--lookup-cache-static, -lcd/--lookup-cache-dynamic) are not supported here.
const params = z.object({ lifetime: lifetimeParam }).strict();

registerMethod({
  name: 'ngram-cache',
  summary: 'llama.cpp --spec-type ngram-cache: thresholded most-frequent successor of the last 1–4 tokens, chains of ≤ 8',
  params,
  flags: [lifetimeFlag],
  requirements: () => ({ maxDraftNodes: NGRAM_CACHE_DRAFT + 1, topK: 1 }),
  create: (p) => new NgramCacheDrafter(p.lifetime),
  // One slot's counts survive between requests (warm).
  carriesState: (p) => p.lifetime === 'warm',
});
