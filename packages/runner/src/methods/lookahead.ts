import { LOOKAHEAD_DEFAULTS, LookaheadDrafter, lookaheadMaxDraftNodes } from '@trbench/baselines';
import { z } from 'zod';
import { registerMethod } from './registry.ts';

const d = LOOKAHEAD_DEFAULTS;
const params = z
  .object({
    level: z.number().int().min(3).max(16).default(d.level),
    window: z.number().int().min(1).max(64).default(d.window),
    guess: z.number().int().min(0).max(64).default(d.guess),
    // -1: every distinct n-gram is kept (LADE's GUESS_SET_SIZE = -1); the G most recent are verified.
    poolSize: z.literal(-1).nullable().default(d.poolSize),
    seed: z.number().int().min(0).max(0xffffffff).default(d.seed),
    // Spec-Bench's window start: random.seed(10) then random.choice(prompt), with CPython's generator.
    windowSeed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().default(d.windowSeed),
    // 'n-1' (default): a full match commits N-1 tokens as LADE's and Spec-Bench's code; 'n': all N.
    fullMatchCommit: z.enum(['n-1', 'n']).default(d.fullMatchCommit),
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
    {
      flags: '--lade-pool-size <n>',
      description: "lookahead: -1 keeps every n-gram per key (LADE's G = -1), of which G are verified",
      param: 'poolSize',
    },
    { flags: '--lade-seed <n>', description: 'lookahead: seed of the window initialisation from prompt tokens', param: 'seed' },
    {
      flags: '--lade-window-seed <n>',
      description: "lookahead: draw the window start with CPython's random.seed(n) + random.choice, as Spec-Bench (10)",
      param: 'windowSeed',
    },
    {
      flags: '--lade-full-match-commit <n-1|n>',
      description: "lookahead: tokens a full n-gram match commits: n-1 (default, LADE's and Spec-Bench's code) or n",
      param: 'fullMatchCommit',
    },
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
