import { SPS_DEFAULTS, SpsDrafter, spsDraftModelRequirements, spsMaxDraftNodes } from '@trbench/baselines';
import { parseTemplate } from '@trbench/token-recycling';
import { z } from 'zod';
import { openDraftModel } from '../models/draft-model.ts';
import { BACKENDS } from '../models/open-model.ts';
import { registerMethod } from './registry.ts';

/** Top-k width a `--sps-tree` template may use (ranks 0..7, as TR's trees). */
const TREE_K = 8;

const params = z
  .object({
    draftModel: z.string({ error: 'required: a model spec (e.g. stories260K:q8_0, a .gguf path) or self:layers=0,1,2' }).min(1),
    gamma: z.int().min(1).max(64).default(SPS_DEFAULTS.gamma),
    tree: z.string().min(1).optional(),
    draftBackend: z.enum(BACKENDS).optional(),
    draftThreads: z.int().min(1).max(256).default(1),
  })
  .strict();

type SpsParams = z.infer<typeof params>;

function shape(p: SpsParams) {
  return { gamma: p.gamma, tree: p.tree === undefined ? null : parseTemplate(p.tree, TREE_K) };
}

registerMethod({
  name: 'sps',
  summary: 'speculative decoding with a draft model (chain of gamma or a top-k tree); self:layers=… drafts with a subset of the target',
  params,
  flags: [
    {
      flags: '--draft-model <spec>',
      description: 'sps: draft model: any model spec (stories260K:q8_0, a .gguf, …) or self:layers=0,1,2 (the target with those layers)',
      param: 'draftModel',
    },
    { flags: '--sps-gamma <n>', description: 'sps: draft tokens per step (chain; default 4)', param: 'gamma' },
    {
      flags: '--sps-tree <template>',
      description: "sps: draft a tree of the draft's top-k instead of a chain: 2.2.2 | chain:N | greedy:NODES:DEPTH | file.json",
      param: 'tree',
    },
    { flags: '--draft-backend <name>', description: "sps: backend of the draft model (default: the target's)", param: 'draftBackend' },
    { flags: '--draft-threads <n>', description: 'sps: CPU threads of the draft model (default 1)', param: 'draftThreads' },
  ],
  requirements: (p) => ({ maxDraftNodes: spsMaxDraftNodes(shape(p)), topK: 1 }),
  create: async (p, ctx) => {
    const options = shape(p);
    const needs = spsDraftModelRequirements(options);
    const draft = await openDraftModel({
      spec: p.draftModel,
      targetSpec: ctx.modelSpec,
      target: ctx.model,
      backend: p.draftBackend,
      threads: p.draftThreads,
      maxDraftNodes: needs.maxDraftNodes,
      topK: needs.topK,
      sampled: ctx.sampled ?? false,
      signal: ctx.signal,
    });
    try {
      return new SpsDrafter(draft.model, { ...options, vocabSize: ctx.vocabSize, draftModelLabel: draft.spec, draftSha256: draft.sha256 });
    } catch (err) {
      draft.model.dispose();
      throw err;
    }
  },
  // Every request resets the draft model's cache and re-prefills it (SpsDrafter.beginRequest): no state survives.
  carriesState: () => false,
});
