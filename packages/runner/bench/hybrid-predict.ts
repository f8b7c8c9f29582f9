/**
 * Predicted speedups from MEASURED acceptance and a MEASURED cost curve, without timing anything (issue 30):
 * every method runs on stories260K (whose tokens and acceptance a V = 32,000 f32 twin reproduces exactly; the
 * F16 twin up to rare tie flips), each step's draft size n is recorded, and the speedup predicted for a
 * backend with curve t(n) is Σ tokens / Σ_steps t(n_step)/t(1) (plain decoding: one token per t(1)).
 * Host time (drafting, ranking, verification) is left out: this is the forward-bound part of the speedup, an
 * upper bound of what a timed run can show. The hybrid drafter sizes its trees with the same curve.
 *
 *   npx tsx packages/runner/bench/hybrid-predict.ts [--curves results/reports/twin-cpu/cost-curve.json] [--stories 16] [--tokens 128]
 */
import { readFileSync } from 'node:fs';
import { loadStorySuite } from '@trbench/assets';
import { DecodeLoop, type Draft, type Drafter, type TokenHistory } from '@trbench/core';
import { CostModel, HYBRID_DEFAULTS, HybridDrafter } from '@trbench/hybrid';
import { createDrafter } from '../src/methods/index.ts';
import { openModel } from '../src/models/open-model.ts';
import { arg } from './args.ts';
import { ForwardingDrafter } from './forwarding-drafter.ts';

const curvesFile = arg('curves', 'results/reports/twin-cpu/cost-curve.json');
const STORIES = Number(arg('stories', '16'));
const TOKENS = Number(arg('tokens', '128'));
const MAX_NODES = 32;

/** Records each step's draft size. */
class Sizes extends ForwardingDrafter {
  readonly sizes: number[] = [];
  override propose(h: TokenHistory, d: Draft): void {
    super.propose(h, d);
    this.sizes.push(d.count);
  }
}

const curves = (JSON.parse(readFileSync(curvesFile, 'utf8')) as { results: { backend: string; sizes: number[]; ms: number[] }[] }).results;
const { model, resolved } = await openModel({ model: 'stories260K', backend: 'onnx', threads: 1, maxDraftNodes: 81, topK: 8 });
const ctx = { vocabSize: model.info.vocabSize, modelSha256: resolved.sha256, modelName: 'stories260K', model };
const prompts = loadStorySuite()
  .slice(0, STORIES)
  .map((s) => model.tokenize(s.prompt, true));

console.log(
  `Predicted speedup (forward time only) = tokens / Σ t(n)/t(1), stories260K acceptance, first ${STORIES} stories × ${TOKENS} tokens; curves: ${curvesFile}\n`,
);
console.log('| backend | method | MAT | nodes/step | plain steps | predicted speedup |');
console.log('|---|---|---:|---:|---:|---:|');
for (const c of curves) {
  const cost = CostModel.measured(c, 81);
  const rows: [string, () => Promise<Drafter>][] = [
    ['tr chain:2', () => createDrafter('tr', { template: 'chain:2' }, ctx)],
    ['tr chain:4', () => createDrafter('tr', { template: 'chain:4' }, ctx)],
    ['suffix', () => createDrafter('suffix', {}, ctx)],
    ['pld', () => createDrafter('pld', {}, ctx)],
  ];
  const variants: [string, Partial<typeof HYBRID_DEFAULTS>][] = [
    ['hybrid', {}],
    ['hybrid −pairs', { pairs: false }],
    ['hybrid −probs', { probs: false }],
    ['hybrid −suffix trees', { local: false, global: false }],
    ['hybrid −global tree', { global: false }],
    ['hybrid −last-row candidates', { logits: false }],
    ['hybrid −calibration', { calibrate: false }],
    ['hybrid −rows', { rows: false, pairs: false }],
    ['hybrid −sizing (32 nodes every step)', { sizing: false }],
  ];
  for (const [label, o] of variants)
    rows.push([
      label,
      async () =>
        new HybridDrafter({
          ...HYBRID_DEFAULTS,
          maxNodes: MAX_NODES,
          ...o,
          vocabSize: ctx.vocabSize,
          cost: CostModel.measured(c, MAX_NODES),
        }),
    ]);
  for (const [label, make] of rows) {
    const d = new Sizes(await make());
    const loop = new DecodeLoop(model, d);
    let tokens = 0;
    for (const p of prompts) tokens += loop.generate(p, { maxNewTokens: TOKENS }).tokens.length;
    const steps = d.sizes.length;
    const time = d.sizes.reduce((a, n) => a + cost.ratio[Math.min(n, 81)], 0);
    const plain = d.sizes.filter((n) => n === 1).length;
    const nodes = d.sizes.reduce((a, n) => a + n, 0) / steps;
    console.log(
      `| ${c.backend} | ${label} | ${(tokens / steps).toFixed(2)} | ${nodes.toFixed(1)} | ${((100 * plain) / steps).toFixed(0)} % | ${(tokens / time).toFixed(2)}× |`,
    );
  }
}
model.dispose();
