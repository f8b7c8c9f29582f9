import { TrbenchError } from '@trbench/core';
import { CostModel, DEFAULT_LINEAR_SLOPE, HYBRID_DEFAULTS, HybridDrafter } from '@trbench/hybrid';
import { z } from 'zod';
import { ensureBackendCurve } from '../models/cached-curve.ts';
import { registerMethod } from './registry.ts';

const d = HYBRID_DEFAULTS;
const params = z
  .object({
    k: z.int().min(1).max(64).default(d.k),
    maxNodes: z.int().min(1).max(255).default(d.maxNodes),
    rows: z.boolean().default(d.rows),
    pairs: z.boolean().default(d.pairs),
    pairSlots: z
      .int()
      .min(2)
      .max(1 << 24)
      .refine((n) => (n & (n - 1)) === 0, 'expected a power of two')
      .default(d.pairSlots),
    probs: z.boolean().default(d.probs),
    local: z.boolean().default(d.local),
    global: z.boolean().default(d.global),
    maxCachedRequests: z.int().min(1).default(d.maxCachedRequests),
    suffixDepth: z.int().min(2).max(1024).default(d.suffixDepth),
    longMatch: z.int().min(1).max(1024).default(d.longMatch),
    suffixAlpha: z.number().min(0).max(100).default(d.suffixAlpha),
    suffixMinProb: z.number().min(0).max(1).default(d.suffixMinProb),
    logits: z.boolean().default(d.logits),
    calibrate: z.boolean().default(d.calibrate),
    sizing: z.boolean().default(d.sizing),
    minPathProb: z.number().min(0).max(1).default(d.minPathProb),
    // measured: this backend's t(n), measured once per model/backend/machine and cached; flat: t(n) = t(1)
    // (a GPU at batch 1: the node budget alone bounds the tree); linear:<slope>: t(n)/t(1) = 1 + slope·(n − 1).
    cost: z
      .string()
      .regex(/^(measured|flat|linear(:\d+(\.\d+)?)?)$/, 'expected measured, flat or linear:<slope>')
      .default('measured'),
  })
  .strict();

registerMethod({
  name: 'hybrid',
  summary:
    'Hybrid: recycled rows with probabilities (+ two-token rows), suffix-tree spine, last-row root candidates, calibrated, one best-first tree sized by t(n)',
  params,
  flags: [
    { flags: '--hybrid-max-nodes <n>', description: 'hybrid: most nodes per step, root included (default 81)', param: 'maxNodes' },
    {
      flags: '--hybrid-cost <model>',
      description: 'hybrid: measured (cached t(n) of this backend) | flat | linear:<slope> (default measured)',
      param: 'cost',
    },
  ],
  requirements: (p) => ({ maxDraftNodes: p.maxNodes, topK: p.k }),
  create: async ({ cost, ...p }, ctx) => {
    let model: CostModel;
    if (cost === 'flat') model = CostModel.flat(p.maxNodes);
    else if (cost.startsWith('linear'))
      model = CostModel.linear(p.maxNodes, cost.includes(':') ? Number(cost.slice(7)) : DEFAULT_LINEAR_SLOPE);
    else {
      if (ctx.model.maxDraftNodes < p.maxNodes)
        throw new TrbenchError(`hybrid: the model was opened for ${ctx.model.maxDraftNodes} nodes, maxNodes is ${p.maxNodes}`);
      const say = (line: string) => process.stderr.write(`[hybrid] ${line}\n`);
      const { file, curve } = await ensureBackendCurve(ctx.model, p.maxNodes, { log: say });
      model = CostModel.measured(curve, p.maxNodes, file);
    }
    return new HybridDrafter({ ...p, vocabSize: ctx.vocabSize, cost: model });
  },
  // Rows, calibration and the cross-request suffix tree carry over between requests.
  carriesState: () => true,
});
