import { PLD_PRESETS, PldDrafter } from '@trbench/baselines';
import { z } from 'zod';
import { registerMethod } from './registry.ts';

const params = z
  .object({
    variant: z.enum(['original', 'hf', 'vllm']).default('original'),
    maxNgram: z.number().int().min(1).max(64).optional(),
    minNgram: z.number().int().min(1).max(64).optional(),
    numPredTokens: z.number().int().min(1).max(255).optional(),
    allowShort: z.boolean().optional(),
    missToken: z.number().int().min(0).nullable().default(null),
  })
  .strict()
  .refine((p) => (p.minNgram ?? PLD_PRESETS[p.variant].minNgram) <= (p.maxNgram ?? PLD_PRESETS[p.variant].maxNgram), {
    message: 'minNgram must not exceed maxNgram',
    path: ['minNgram'],
  });

type PldParams = z.infer<typeof params>;

/** The preset of `variant`, overridden by any explicit field. */
function resolve(p: PldParams) {
  const preset = PLD_PRESETS[p.variant];
  return {
    maxNgram: p.maxNgram ?? preset.maxNgram,
    minNgram: p.minNgram ?? preset.minNgram,
    numPredTokens: p.numPredTokens ?? preset.numPredTokens,
    allowShort: p.allowShort ?? preset.allowShort,
    missToken: p.missToken,
  };
}

registerMethod({
  name: 'pld',
  summary: 'Prompt Lookup Decoding: copy what followed the last n-gram earlier in prompt + output (no match: plain step)',
  params,
  flags: [
    {
      flags: '--pld-variant <name>',
      description: 'pld: original (3→1, full 10), hf (2→1, short drafts) or vllm (5, short)',
      param: 'variant',
    },
    { flags: '--pld-max-ngram <n>', description: 'pld: longest n-gram tried', param: 'maxNgram' },
    { flags: '--pld-min-ngram <n>', description: 'pld: shortest n-gram tried', param: 'minNgram' },
    { flags: '--pld-tokens <n>', description: 'pld: draft length (num_pred_tokens, default 10)', param: 'numPredTokens' },
    {
      flags: '--pld-allow-short',
      description: 'pld: accept continuations shorter than --pld-tokens',
      param: 'allowShort',
      parse: () => true,
    },
    { flags: '--pld-miss-token <id>', description: "pld: draft this token on a miss (Spec-Bench's copy uses 100)", param: 'missToken' },
  ],
  requirements: (p) => ({ maxDraftNodes: resolve(p).numPredTokens + 1, topK: 1 }),
  create: (p) => new PldDrafter(resolve(p)),
  carriesState: () => false,
});
