import { LOOKAHEAD_DEFAULTS, LookaheadDrafter, lookaheadMaxDraftNodes } from '@trbench/baselines';
import { z } from 'zod';
import { registerMethod } from './registry.ts';

const d = LOOKAHEAD_DEFAULTS;
const params = z
  .object({
    level: z.number().int().min(3).max(16).default(d.level),
    window: z.number().int().min(1).max(64).default(d.window),
    guess: z.number().int().min(0).max(64).default(d.guess),
    seed: z.number().int().min(0).max(0xffffffff).default(d.seed),
    poolFromPrompt: z.boolean().default(d.poolFromPrompt),
    keepPool: z.boolean().default(d.keepPool),
  })
  .strict();

registerMethod({
  name: 'lookahead',
  summary: 'Lookahead decoding: 2-D Jacobi window + n-gram pool verified in the same forward (N=5, W=7, G=7)',
  params,
  flags: [
    { flags: '--lade-level <n>', description: 'lookahead: n-gram size N (window levels N-1)', param: 'level' },
    { flags: '--lade-window <n>', description: 'lookahead: window width W', param: 'window' },
    { flags: '--lade-guess <n>', description: 'lookahead: n-grams kept and verified per key G', param: 'guess' },
    { flags: '--lade-seed <n>', description: 'lookahead: seed of the window initialisation from prompt tokens', param: 'seed' },
    {
      flags: '--lade-pool-from-prompt',
      description: "lookahead: also fill the pool from prompt/output n-grams (LADE's POOL_FROM_PROMPT)",
      param: 'poolFromPrompt',
      parse: () => true,
    },
    { flags: '--lade-keep-pool', description: 'lookahead: keep the n-gram pool across requests', param: 'keepPool', parse: () => true },
  ],
  requirements: (p) => ({ maxDraftNodes: lookaheadMaxDraftNodes(p.level, p.window, p.guess), topK: 1 }),
  create: (p, ctx) => new LookaheadDrafter(ctx.vocabSize, p),
  // The window is re-seeded per request; only a kept n-gram pool survives it.
  carriesState: (p) => p.keepPool,
});
