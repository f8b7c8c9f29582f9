/**
 * Is the hybrid's path probability what verification then accepts? Runs the hybrid (registry defaults, its
 * measured cost curve) on a model over story prompts and compares, for every drafted node, the calibrated
 * path probability the tree was scored and sized with against whether the node ended on the accepted path:
 * a reliability table by probability bin, and per step the predicted against the realised accepted drafts.
 * Deterministic (no timing).
 *
 *   npx tsx packages/runner/bench/hybrid-calibration.ts [--model twin:d2048-l8-h32-kv16-f5632-v32000:q4_k_m] \
 *     [--backend llama.cpp] [--threads 2] [--stories 8] [--tokens 128]
 */
import { loadStorySuite } from '@trbench/assets';
import { type Acceptance, DecodeLoop, type Draft, type Predictions, type TokenHistory } from '@trbench/core';
import type { HybridDrafter } from '@trbench/hybrid';
import { createDrafter } from '../src/methods/index.ts';
import { openModel, parseBackend } from '../src/models/open-model.ts';
import { arg, ints } from './args.ts';
import { ForwardingDrafter } from './forwarding-drafter.ts';

const spec = arg('model', 'twin:d2048-l8-h32-kv16-f5632-v32000:q4_k_m');
const backend = parseBackend(arg('backend', 'llama.cpp'));
const threads = ints(arg('threads', '2'))[0];
const STORIES = ints(arg('stories', '8'))[0];
const TOKENS = ints(arg('tokens', '128'))[0];
const BINS = 10;

/** Records each drafted node's path probability (from the hybrid's best-first tree) and whether it was accepted. */
class CalibrationProbe extends ForwardingDrafter<HybridDrafter> {
  readonly predicted = new Float64Array(BINS);
  readonly accepted = new Float64Array(BINS);
  readonly count = new Float64Array(BINS);
  steps = 0;
  draftingSteps = 0;
  predictedTokens = 0;
  realisedTokens = 0;
  private probs: number[] = [];

  override propose(h: TokenHistory, d: Draft): void {
    super.propose(h, d);
    // The draft holds the tree's first n − 1 nodes in order; cumulative[i] sums their path probabilities.
    const cumulative = (this.inner as unknown as { tree: { cumulative: Float64Array } }).tree.cumulative;
    this.probs = [];
    for (let i = 1; i < d.count; i++) this.probs.push(cumulative[i] - cumulative[i - 1]);
  }

  override observe(d: Draft, p: Predictions, a: Acceptance, h: TokenHistory): void {
    this.steps++;
    if (this.probs.length > 0) {
      this.draftingSteps++;
      const onPath = new Set(Array.from(a.path.subarray(0, a.length)));
      this.probs.forEach((prob, j) => {
        const bin = Math.min(BINS - 1, Math.floor(prob * BINS));
        this.count[bin]++;
        this.predicted[bin] += prob;
        if (onPath.has(j + 1)) this.accepted[bin]++;
        this.predictedTokens += prob;
      });
      this.realisedTokens += a.length - 1;
    }
    super.observe(d, p, a, h);
  }
}

const { model, resolved } = await openModel({ model: spec, backend, threads, maxDraftNodes: 81, topK: 8 });
try {
  const context = { vocabSize: model.info.vocabSize, modelSha256: resolved.sha256, modelName: resolved.name, modelSpec: spec, model };
  const probe = new CalibrationProbe((await createDrafter('hybrid', {}, context)) as HybridDrafter);
  const loop = new DecodeLoop(model, probe);
  const stories = loadStorySuite();
  const picked = Array.from({ length: STORIES }, (_, i) => stories[Math.floor((i * stories.length) / STORIES)]);
  let tokens = 0;
  for (const s of picked) tokens += loop.generate(model.tokenize(s.prompt, true), { maxNewTokens: TOKENS }).tokens.length;
  const rows = Array.from({ length: BINS }, (_, b) => b)
    .filter((b) => probe.count[b] > 0)
    .map(
      (b) =>
        `| ${(b / BINS).toFixed(1)}–${((b + 1) / BINS).toFixed(1)} | ${probe.count[b]} | ${(probe.predicted[b] / probe.count[b]).toFixed(3)} | ${(probe.accepted[b] / probe.count[b]).toFixed(3)} |`,
    );
  console.log(
    [
      `${spec} (${backend}, ${threads} threads), hybrid with its defaults, ${STORIES} stories × ${TOKENS} tokens: ${tokens} tokens in ${probe.steps} steps, ` +
        `${probe.draftingSteps} of them drafting`,
      '',
      '| path probability | drafted nodes | mean predicted | accepted |',
      '|---|---:|---:|---:|',
      ...rows,
      '',
      `On drafting steps: predicted accepted drafts ${probe.predictedTokens.toFixed(1)}, realised ${probe.realisedTokens} ` +
        `(${((100 * probe.realisedTokens) / Math.max(1e-9, probe.predictedTokens)).toFixed(0)} % of predicted).`,
    ].join('\n'),
  );
} finally {
  model.dispose();
}
