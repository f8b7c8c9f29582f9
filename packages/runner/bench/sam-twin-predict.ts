/**
 * Predicted speedups on the V = 32,000 twin from its measured forward-time curve t(n) and each method's
 * per-step draft sizes: a stand-in for a paired timing when the machine cannot give one (it says so).
 *
 *   npx tsx packages/runner/bench/sam-twin-predict.ts [--curve results/reports/twin-cpu/cost-curve.json] [--stories 8] [--max-new-tokens 128]
 *
 * The twin computes stories260K's function (f32: bit for bit; F16: up to rare tie flips), so its steps, draft
 * sizes and MAT are stories260K's: each method runs on stories260K (ONNX, f32) over the first N story prompts,
 * and its predicted time per request is Σ_steps t(n_step) with t interpolated linearly in the twin's measured
 * curve (per backend); plain decoding costs t(1) per token. Host work outside the forward (drafting, ranking
 * 61 rows of 32,000 logits ≈ 1 ms per step at V = 32,000, results/reports/host-cost.md) is NOT included, so the
 * prediction is an upper bound for wide drafts. Deterministic: no timing is measured here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadStorySuite, repoRoot } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop } from '@trbench/core';
import { createDrafter } from '../src/methods/index.ts';
import { openModel } from '../src/models/open-model.ts';

const { values } = parseArgs({
  options: {
    curve: { type: 'string', default: path.join(repoRoot, 'results/reports/twin-cpu/cost-curve.json') },
    stories: { type: 'string', default: '8' },
    'max-new-tokens': { type: 'string', default: '128' },
  },
});
const curve = JSON.parse(readFileSync(values.curve as string, 'utf8')) as {
  spec: string;
  results: { backend: string; sizes: number[]; ms: number[] }[];
};
const MAX_NEW = Number(values['max-new-tokens']);
const N = Number(values.stories);

const METHODS: [string, string, Record<string, unknown>][] = [
  ['TR chain:2', 'tr', { template: 'chain:2' }],
  ['TR 2.2.2', 'tr', {}],
  ['SuffixDecoding', 'suffix', {}],
  ['PLD', 'pld', {}],
  ['sam-tr (authors: 40-token chains, 61-node tree)', 'sam-tr', {}],
  ['sam-tr, TR chain:2 in place of the tree', 'sam-tr', { trTemplate: 'chain:2' }],
  ['sam-tr, 8-token chains + TR chain:2', 'sam-tr', { trTemplate: 'chain:2', nPredicts: 8 }],
  ['sam (SAM only)', 'sam', {}],
];

/** t(n) by linear interpolation in the measured sizes (flat beyond the last). */
function at(sizes: number[], ms: number[], n: number): number {
  if (n <= sizes[0]) return ms[0];
  for (let i = 1; i < sizes.length; i++) {
    if (n <= sizes[i]) return ms[i - 1] + ((ms[i] - ms[i - 1]) * (n - sizes[i - 1])) / (sizes[i] - sizes[i - 1]);
  }
  return ms[ms.length - 1];
}

const opened = await openModel({ model: 'stories260K', backend: 'onnx', threads: 1, maxDraftNodes: 81, topK: 8 });
const model = opened.model;
const context = {
  vocabSize: model.info.vocabSize,
  modelSha256: opened.resolved.sha256,
  modelName: 'stories260K',
  modelSpec: 'stories260K',
  model,
};
const prompts = loadStorySuite()
  .slice(0, N)
  .map((s) => model.tokenize(s.prompt, true));
const plain = new DecodeLoop(model, new AutoregressiveDrafter());
const references = prompts.map((p) => plain.generate(p, { maxNewTokens: MAX_NEW }).tokens);

const lines: string[] = [];
lines.push(
  `Predicted from the twin's measured t(n) (${path.relative(repoRoot, values.curve as string)}, ${curve.spec}) and each method's steps on stories260K, first ${N} story prompts × ${MAX_NEW} tokens; host work outside the forward not included.`,
);
lines.push('');
const backends = curve.results.map((r) => r.backend);
lines.push(`| method | MAT | mean nodes per step | ${backends.map((b) => `predicted speedup, ${b}`).join(' | ')} | identical |`);
lines.push(`|---|---:|---:|${backends.map(() => '---:').join('|')}|---:|`);
for (const [label, method, params] of METHODS) {
  const drafter = await createDrafter(method, params, context);
  const loop = new DecodeLoop(model, drafter);
  let tokens = 0;
  let steps = 0;
  let nodes = 0;
  let identical = 0;
  const cost = backends.map(() => 0);
  prompts.forEach((p, i) => {
    const r = loop.generate(p, { maxNewTokens: MAX_NEW });
    tokens += r.tokens.length;
    steps += r.steps;
    if (r.tokens.length === references[i].length && r.tokens.every((t, j) => t === references[i][j])) identical++;
    for (const n of r.draftNodes) {
      nodes += n;
      curve.results.forEach((c, b) => {
        cost[b] += at(c.sizes, c.ms, n);
      });
    }
  });
  const speedups = curve.results.map((c, b) => `${((tokens * c.ms[0]) / cost[b]).toFixed(2)}×`);
  lines.push(
    `| ${label} | ${(tokens / steps).toFixed(2)} | ${(nodes / steps).toFixed(1)} | ${speedups.join(' | ')} | ${identical}/${prompts.length} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
model.dispose();
