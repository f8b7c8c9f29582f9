import { SAM_TR_DEFAULTS, SAM_TR_TREE, SamTrDrafter } from '@trbench/sam';
import { parseTemplate, TreeTemplate } from '@trbench/token-recycling';
import { z } from 'zod';
import { registerMethod } from './registry.ts';
import { loadStaticCorpus, SAM_SHARED_FLAGS } from './sam-corpus.ts';

const d = SAM_TR_DEFAULTS;

function treeOf(spec: string): TreeTemplate {
  return spec === 'sam-61' ? new TreeTemplate('sam-61', SAM_TR_TREE) : parseTemplate(spec, d.k);
}
const params = z
  .object({
    nPredicts: z.int().min(2).max(255).default(d.nPredicts),
    lenThreshold: z.int().min(0).max(1024).default(d.lenThreshold),
    lenBias: z.int().min(-1024).max(1024).default(d.lenBias),
    corpus: z.string().min(1).default('auto'),
    /** TR's tree: the authors' 61-node tree (`sam-61`) or any TR template (`chain:2`, `2.2.2`, a file): a deviation. */
    trTemplate: z.string().min(1).default('sam-61'),
  })
  .strict();

registerMethod({
  name: 'sam-tr',
  summary:
    "SAM-Decoding[T]: suffix-automaton chains (prompt + output, and a static corpus) when the match is long, else Token Recycling's 61-node tree",
  params,
  flags: [
    { flags: '--sam-n-predicts <n>', description: 'sam-tr: chain length including the root (default 40)', param: 'nPredicts' },
    {
      flags: '--sam-len-threshold <n>',
      description: 'sam-tr: draft a chain when the match is at least this long (default 5)',
      param: 'lenThreshold',
    },
    ...SAM_SHARED_FLAGS,
    {
      flags: '--sam-tr-template <spec>',
      description:
        "sam-tr: TR's tree when no chain is drafted: sam-61 (the authors', default) or a TR template such as chain:2 (a deviation)",
      param: 'trTemplate',
      parse: (raw) => raw,
    },
  ],
  requirements: (p) => ({ maxDraftNodes: Math.max(treeOf(p.trTemplate).nodes, p.nPredicts), topK: d.k }),
  create: async (p, ctx) => {
    const corpus = await loadStaticCorpus(p.corpus, ctx, 'sam-tr');
    return new SamTrDrafter({
      vocabSize: ctx.vocabSize,
      corpus,
      nPredicts: p.nPredicts,
      lenThreshold: p.lenThreshold,
      lenBias: p.lenBias,
      corpusSpec: p.corpus,
      template: treeOf(p.trTemplate),
    });
  },
  // The TR table lives across requests (hot), as the authors' never reset it.
  carriesState: () => true,
});
