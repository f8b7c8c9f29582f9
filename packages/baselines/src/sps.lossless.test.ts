import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K as openLlama } from '@trbench/backend-llama-cpp/testing';
import { DecodeLoop, type Draft, type Drafter, Predictions, type TargetModel, type TokenHistory } from '@trbench/core';
import { proofScale } from '@trbench/core/testing';
import { parseTemplate } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpsDrafter, type SpsOptions, spsDraftModelRequirements } from './sps.ts';
import { compareWithReference, type PreparedPrompt, prepareSuite } from './testing/lossless-harness.ts';
import { openStories260K } from './testing/open-stories.ts';
import { SkewedModel } from './testing/skewed-model.ts';
import { specBenchFirstTurns, storySuite } from './testing/suites.ts';

// End-to-end on the real stories260K model (llama.cpp, CPU): draft-model speculation reproduces plain
// greedy decoding token for token. With stories260K as its own draft the draft is the target, so every
// step must accept every draft (MAT = γ + 1): a rollback or catch-up that puts one wrong token in the
// draft model's cache breaks that at once. `npm test` runs every 6th story and every 60th Spec-Bench
// question; `npm run test:lossless` (CI) the whole story suite and every 16th question.
const MAX_NEW = 200;
const STORIES = proofScale(8, 48);
let target: LlamaCppModel;
let stories: PreparedPrompt[];
let specBench: PreparedPrompt[];
const drafts: LlamaCppModel[] = [];

beforeAll(async () => {
  target = (await openStories260K(65)).model;
  stories = prepareSuite(
    target,
    storySuite().filter((_, i) => i % proofScale(6, 1) === 0),
    MAX_NEW,
  );
  specBench = prepareSuite(target, await specBenchFirstTurns(proofScale(60, 16)), MAX_NEW);
});

afterAll(() => {
  for (const d of drafts) d.dispose();
  target?.dispose();
});

async function selfDrafter(options: Pick<SpsOptions, 'gamma' | 'tree'>): Promise<SpsDrafter> {
  const needs = spsDraftModelRequirements(options);
  const { model } = await openLlama({ ...needs, exposeLogits: true });
  drafts.push(model);
  return new SpsDrafter(model, { ...options, vocabSize: target.info.vocabSize, draftModelLabel: 'stories260K' });
}

describe('sps with stories260K as its own draft', { timeout: proofScale(600_000, 0) }, () => {
  for (const gamma of [1, 4]) {
    it(`gamma ${gamma}: identical to plain decoding, every draft accepted`, async () => {
      const drafter = await selfDrafter({ gamma, tree: null });
      const s = compareWithReference(target, drafter, stories, MAX_NEW);
      expect(s.divergences).toEqual([]);
      expect(s.identical).toBe(STORIES);
      console.log(`gamma ${gamma}: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
      // Only a request's last step (cut by EOS or the token limit) may commit fewer than γ + 1.
      expect(s.mat).toBeGreaterThan(gamma + 1 - (STORIES * gamma) / s.steps - 1e-9);
    });
  }

  it('tree greedy:16:4: identical to plain decoding, the rank-0 path always accepted', async () => {
    const tree = parseTemplate('greedy:16:4', 4);
    expect(tree.paths).toContainEqual([0, 0, 0, 0]);
    const drafter = await selfDrafter({ gamma: 4, tree });
    // A third of the suite (full) or 4 stories: each tree step costs the draft model one growing forward per level.
    const part = stories.slice(0, proofScale(4, 16));
    const s = compareWithReference(target, drafter, part, MAX_NEW);
    expect(s.divergences).toEqual([]);
    console.log(`tree greedy:16:4: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
    expect(s.mat).toBeGreaterThan(5 - (part.length * 4) / s.steps - 1e-9);
  });

  it('Spec-Bench first turns that fit: identical', async () => {
    const drafter = await selfDrafter({ gamma: 4, tree: null });
    const b = compareWithReference(target, drafter, specBench, MAX_NEW);
    expect(b.divergences).toEqual([]);
    expect(b.identical + b.skipped).toBe(specBench.length);
  });
});

async function openSpec(spec: string, options: Pick<SpsOptions, 'gamma' | 'tree'>): Promise<LlamaCppModel> {
  const resolved = await resolveModel(spec);
  const model = await LlamaCppModel.open({
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
    gpu: false,
    ...spsDraftModelRequirements(options),
  });
  drafts.push(model);
  return model;
}

describe('sps with drafts that differ from the target', () => {
  const cases: [string, Pick<SpsOptions, 'gamma' | 'tree'>][] = [
    ['stories260K:q8_0', { gamma: 4, tree: null }],
    ['stories260K:layers=0,1,2,4', { gamma: 3, tree: null }],
    ['stories260K:q4_0', { gamma: 4, tree: parseTemplate('greedy:8:3', 4) }],
  ];
  for (const [spec, options] of cases) {
    it(`${spec}${options.tree ? ` tree ${options.tree.name}` : ` gamma ${options.gamma}`}: identical on the story suite and Spec-Bench first turns`, async () => {
      const draft = await openSpec(spec, options);
      const drafter = new SpsDrafter(draft, { ...options, vocabSize: target.info.vocabSize, draftModelLabel: spec });
      const s = compareWithReference(target, drafter, options.tree ? stories.slice(0, 16) : stories, MAX_NEW);
      expect(s.divergences).toEqual([]);
      console.log(`${spec}: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
      expect(s.mat).toBeGreaterThan(1.5);
      const b = compareWithReference(target, drafter, specBench, MAX_NEW);
      expect(b.divergences).toEqual([]);
      expect(b.identical + b.skipped).toBe(specBench.length);
    });
  }
});

describe('sps on an f32 twin with stories260K as its draft', () => {
  // The twin computes stories260K's function with more (identity) layers, so a draft that follows the
  // committed sequence exactly must have all 4 drafts accepted on nearly every step.
  it('gamma 4: identical to plain decoding of the twin, MAT >= 4.8', async () => {
    const resolved = await resolveModel('twin:d128-l6-h16-kv8-f192:f32');
    const twin = await LlamaCppModel.open({
      path: resolved.path,
      name: resolved.name,
      sha256: resolved.sha256,
      extraStopTokens: resolved.extraStopTokens,
      gpu: false,
      maxDraftNodes: 5,
      topK: 1,
    });
    drafts.push(twin);
    const suite = prepareSuite(twin, storySuite().slice(0, 16), MAX_NEW);
    const { model: draft } = await openLlama({ ...spsDraftModelRequirements({ gamma: 4, tree: null }) });
    drafts.push(draft);
    const drafter = new SpsDrafter(draft, { gamma: 4, tree: null, vocabSize: twin.info.vocabSize, draftModelLabel: 'stories260K' });
    const s = compareWithReference(twin, drafter, suite, MAX_NEW);
    console.log(`twin target, stories260K draft: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
    expect(s.divergences).toEqual([]);
    expect(s.mat).toBeGreaterThanOrEqual(4.8);
  });
});

/**
 * Wraps the drafter and re-derives every draft from scratch: a second copy of the draft model is reset,
 * fed the whole committed sequence and asked for its own top-k after each draft node's parent path. Any
 * token left in (or missing from) the drafter's cache after a rollback or catch-up shows up as a draft
 * that differs from the one the draft model gives on the true sequence.
 */
class CheckedDrafter implements Drafter {
  readonly inner: SpsDrafter;
  readonly name = 'checked-sps';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  mismatches = 0;
  checked = 0;
  private readonly preds: Predictions;
  private readonly seq: number[] = [];

  constructor(
    inner: SpsDrafter,
    private readonly reference: TargetModel,
    private readonly ranks: Int32Array | null,
  ) {
    this.inner = inner;
    this.maxDraftNodes = inner.maxDraftNodes;
    this.preds = new Predictions(reference.info.contextSize, reference.topK);
  }
  beginRequest(history: TokenHistory, p: Predictions | null): void {
    this.inner.beginRequest(history, p, null);
  }
  propose(history: TokenHistory, draft: Draft): void {
    this.inner.propose(history, draft);
    for (let n = 1; n < draft.count; n++) {
      const path: number[] = [];
      for (let a = draft.parent[n]; a > 0; a = draft.parent[a]) path.unshift(draft.tokens[a]);
      this.seq.length = 0;
      for (let i = 0; i < history.length; i++) this.seq.push(history.at(i));
      this.seq.push(...path);
      this.reference.reset();
      this.reference.prefill(this.seq, this.preds);
      const row = this.seq.length - 1;
      const rank = this.ranks ? this.ranks[n] : 0;
      this.checked++;
      if (this.preds.topIds[row * this.preds.k + rank] !== draft.tokens[n]) this.mismatches++;
    }
  }
  observe(): void {}
  endRequest(): void {}
}

/** A draft model that rolls back one token too few (the negative control of the check above). */
class ShortRollback extends SkewedModel {
  override truncate(length: number): void {
    super.truncate(Math.min(length + 1, this.committedLength));
  }
}

describe('the draft model follows the committed sequence through rollbacks', () => {
  const suite = () => stories.slice(0, 1);
  async function layerDropped(topK: number) {
    const resolved = await resolveModel('stories260K:layers=0,1,2,4');
    const open = (maxDraftNodes: number) =>
      LlamaCppModel.open({ path: resolved.path, name: resolved.name, sha256: resolved.sha256, gpu: false, maxDraftNodes, topK });
    const model = await open(24);
    const reference = await open(1);
    drafts.push(model, reference);
    return { model, reference };
  }

  it("chain γ = 4 with a layer-dropped draft: every draft is the draft model's own on the true sequence", async () => {
    const { model, reference } = await layerDropped(1);
    const sps = new SpsDrafter(model, { gamma: 4, tree: null, vocabSize: 512, draftModelLabel: 'layers=0,1,2,4' });
    const checked = new CheckedDrafter(sps, reference, null);
    const s = compareWithReference(target, checked, suite(), MAX_NEW);
    expect(s.divergences).toEqual([]);
    console.log(`layer-dropped chain: MAT ${s.mat.toFixed(3)}, ${checked.checked} drafts checked`);
    expect(s.mat, 'drafts are rejected, so rollbacks happen').toBeLessThan(4);
    expect(checked.mismatches).toBe(0);
  });

  it('tree greedy:8:3 with a layer-dropped draft: the same', async () => {
    const tree = parseTemplate('greedy:8:3', 4);
    const { model, reference } = await layerDropped(tree.maxRank + 1);
    const sps = new SpsDrafter(model, { gamma: 4, tree, vocabSize: 512, draftModelLabel: 'layers=0,1,2,4' });
    const checked = new CheckedDrafter(sps, reference, tree.rank);
    const s = compareWithReference(target, checked, suite(), MAX_NEW);
    expect(s.divergences).toEqual([]);
    expect(checked.mismatches).toBe(0);
  });

  it('negative control: a draft model that rolls back one token too few is caught', async () => {
    const { model, reference } = await layerDropped(1);
    const broken = new ShortRollback(model, 1);
    const sps = new SpsDrafter(broken, { gamma: 4, tree: null, vocabSize: 512, draftModelLabel: 'broken' });
    const checked = new CheckedDrafter(sps, reference, null);
    compareWithReference(target, checked, suite(), MAX_NEW);
    console.log(`short rollback: ${checked.mismatches} of ${checked.checked} drafts differ`);
    expect(checked.mismatches).toBeGreaterThan(0);
  });
});

describe('draft time lands in the draft share of the step', () => {
  it('draftMs is positive and the step count matches MAT', async () => {
    const drafter = await selfDrafter({ gamma: 4, tree: null });
    const r = new DecodeLoop(target, drafter).generate(stories[0].ids, { maxNewTokens: 100 });
    expect(r.timing.draftMs).toBeGreaterThan(0);
    expect(Array.from(r.tokens)).toEqual(Array.from(stories[0].reference.subarray(0, 100)));
  });
});
