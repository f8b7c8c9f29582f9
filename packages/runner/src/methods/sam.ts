import { SAM_ONLY_DEFAULTS, SamOnlyDrafter } from '@trbench/sam';
import { z } from 'zod';
import { registerMethod } from './registry.ts';
import { loadStaticCorpus, SAM_SHARED_FLAGS } from './sam-corpus.ts';

const d = SAM_ONLY_DEFAULTS;
const params = z
  .object({
    maxPredicts: z.int().min(1).max(255).default(d.maxPredicts),
    alpha: z.number().min(0).max(1000).default(d.alpha),
    K: z.int().min(1).max(64).default(d.K),
    lenBias: z.int().min(-1024).max(1024).default(d.lenBias),
    corpus: z.string().min(1).default('auto'),
  })
  .strict();

registerMethod({
  name: 'sam',
  summary: 'SAM-Decoding (SAM only): a dynamic chain of min(60, 1 + 4·l) tokens, or a best-first tree over the static corpus automaton',
  params,
  flags: [
    { flags: '--sam-max-predicts <n>', description: 'sam: most draft nodes including the root (default 60)', param: 'maxPredicts' },
    { flags: '--sam-alpha <x>', description: 'sam: draft 1 + alpha × match length nodes (default 4)', param: 'alpha' },
    { flags: '--sam-k <n>', description: 'sam: static tree: transitions per node and nodes per depth (default 8)', param: 'K' },
    ...SAM_SHARED_FLAGS,
  ],
  requirements: (p) => ({ maxDraftNodes: p.maxPredicts, topK: 1 }),
  create: async (p, ctx) => {
    const corpus = await loadStaticCorpus(p.corpus, ctx, 'sam');
    return new SamOnlyDrafter({ corpus, maxPredicts: p.maxPredicts, alpha: p.alpha, K: p.K, lenBias: p.lenBias, corpusSpec: p.corpus });
  },
  // Per-request dynamic automaton, read-only static one: nothing crosses requests.
  carriesState: () => false,
});
