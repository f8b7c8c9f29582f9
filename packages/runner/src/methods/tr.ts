import { AutoregressiveDrafter } from '@trbench/core';
import {
  describeTuned,
  ensureTunedTemplate,
  parseTemplate,
  parseTuneBudget,
  TokenRecyclingDrafter,
  TreeTemplate,
} from '@trbench/token-recycling';
import { z } from 'zod';
import { tuneProgress } from './phase-progress.ts';
import { registerMethod } from './registry.ts';

/** Largest tree `--template auto` may choose (the budgets n = 1 … 128). */
const AUTO_MAX_NODES = 128;

const params = z
  .object({
    k: z.int().min(1).max(64).default(8),
    template: z.string().min(1).default('2.2.2'),
    start: z.enum(['hot', 'cold']).default('hot'),
    duplicateRule: z.enum(['last', 'first']).default('last'),
    updateScope: z.enum(['all', 'accepted']).default('all'),
    matrixIn: z.string().min(1).optional(),
    matrixOut: z.string().min(1).optional(),
    // `template: auto`'s tuning run is sized to a time budget measured on this machine (default 60 s), unless
    // explicit knobs (prompts, tokens) are given; the knobs that are given are kept either way.
    tuneBudget: z
      .union([z.number().positive(), z.string().regex(/^\s*\d+(\.\d+)?\s*[smh]?\s*$/, 'expected a duration such as 60s, 5m or 90')])
      .optional(),
    tuneMaxNodes: z.int().min(1).max(AUTO_MAX_NODES).optional(),
    tunePrompts: z.int().min(1).optional(),
    tuneMaxNewTokens: z.int().min(1).optional(),
  })
  .strict();

registerMethod({
  name: 'tr',
  summary: 'Token Recycling: static tree drafted by BFS from the adjacency matrix of recycled top-k candidates',
  params,
  flags: [
    { flags: '--k <n>', description: 'tr: candidates per token in the matrix (default 8)', param: 'k' },
    {
      flags: '--template <spec>',
      description:
        'tr: draft tree: 2.2.2 | chain:N | greedy:NODES:DEPTH | file.json | auto (tuned for this model, backend and machine) (default 2.2.2)',
      param: 'template',
    },
    {
      flags: '--cold-start',
      description: 'tr: reset the matrix per request and seed it from the prompt (default: hot start)',
      param: 'start',
      parse: () => 'cold',
    },
    {
      flags: '--duplicate-rule <rule>',
      description: 'tr: last | first occurrence wins when a token repeats in a tree',
      param: 'duplicateRule',
    },
    { flags: '--update-scope <scope>', description: 'tr: all tree nodes (paper) | accepted nodes only', param: 'updateScope' },
    { flags: '--matrix-in <file>', description: 'tr: start from a saved matrix', param: 'matrixIn' },
    { flags: '--matrix-out <file>', description: 'tr: save the matrix after each request', param: 'matrixOut' },
    {
      flags: '--tune-budget <duration>',
      description: 'tr: time budget of --template auto tuning on this machine, e.g. 60s or 5m (default 60s)',
      param: 'tuneBudget',
      parse: (raw) => raw,
    },
  ],
  requirements: (p) => ({
    maxDraftNodes: p.template === 'auto' ? (p.tuneMaxNodes ?? AUTO_MAX_NODES) : parseTemplate(p.template, p.k).nodes,
    topK: p.k,
  }),
  create: async (p, ctx) => {
    let template: TreeTemplate;
    if (p.template === 'auto') {
      const say = (line: string) => process.stderr.write(`[tune] ${line}\n`);
      const tuned = await ensureTunedTemplate(ctx.model, {
        k: p.k,
        maxNodes: p.tuneMaxNodes ?? AUTO_MAX_NODES,
        maxNodesFixed: p.tuneMaxNodes !== undefined,
        promptCount: p.tunePrompts,
        maxNewTokens: p.tuneMaxNewTokens,
        budgetSeconds: p.tuneBudget === undefined ? undefined : parseTuneBudget(p.tuneBudget, 'tuneBudget'),
        log: say,
        onCalibrate: (n) => say(`no tuned tree for this model, backend and machine yet: calibrating on ${n} prompts…`),
        signal: ctx.signal,
        progress: tuneProgress('[tune]'),
      });
      say(describeTuned(tuned.result, tuned.file, tuned.fromCache));
      // No tree clearly beats plain decoding here: decode plainly (no matrix upkeep either).
      if (tuned.result.plain) return new AutoregressiveDrafter();
      template = new TreeTemplate(`auto:${tuned.result.name}`, tuned.result.paths, tuned.file);
    } else {
      template = parseTemplate(p.template, p.k);
    }
    return new TokenRecyclingDrafter({
      vocabSize: ctx.vocabSize,
      k: p.k,
      template,
      start: p.start,
      duplicateRule: p.duplicateRule,
      updateScope: p.updateScope,
      modelSha256: ctx.modelSha256,
      matrixIn: p.matrixIn,
      matrixOut: p.matrixOut,
    });
  },
  // Hot start carries the matrix across requests; cold start clears it at every request.
  carriesState: (p) => p.start === 'hot',
  // Batched, hot start: one matrix (one instance) read by every request and updated in slot order; cold start
  // resets the matrix per request, so each slot keeps its own.
  batchSharing: (p) => (p.start === 'hot' ? 'shared' : 'per-request'),
});
