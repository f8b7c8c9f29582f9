import { loadStorySuite } from '@trbench/assets';
import {
  AutoregressiveDrafter,
  DecodeLoop,
  type Draft,
  type Drafter,
  Predictions,
  ProcessedDistribution,
  type SamplingOptions,
  type TargetModel,
} from '@trbench/core';
import { proofScale } from '@trbench/core/testing';
import { parseTemplate, TokenRecyclingDrafter } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../models/open-model.ts';

/**
 * Proof that ranking inside llama.cpp's graph (`--rank engine`: a top_k sampler chain per sequence,
 * candidates re-sorted by the tie rule) gives exactly host ranking, at every node of Token Recycling's
 * 81-node 2.2.2 tree on real prompts, greedy and with top-k sampling, at V = 512 (stories260K) and
 * V = 32,000 (a wide twin), and that whole generations (TR and AR, greedy and sampled) are unchanged.
 * CPU build: there the engine path is slower (auto picks host); only equality is asserted.
 */

const K = 8;
const TREE_NODES = parseTemplate('2.2.2', K).nodes;
const SAMPLING: SamplingOptions = { temperature: 0.8, topK: 20, topP: 0.95, seed: 7 };

interface Pair {
  host: TargetModel;
  engine: TargetModel;
}

async function openPair(model: string, samplingTopK?: number): Promise<Pair> {
  const open = (rank: 'host' | 'engine') =>
    openModel({
      model,
      backend: 'llama.cpp',
      device: 'cpu',
      threads: 1,
      maxDraftNodes: TREE_NODES,
      topK: K,
      exposeLogits: samplingTopK !== undefined,
      samplingTopK,
      rank,
    }).then((r) => r.model);
  return { host: await open('host'), engine: await open('engine') };
}

/**
 * Runs the host model for the decode loop and mirrors every call on the engine model, comparing the two
 * at every evaluated node: top-k ids, logits and argmax exactly and, when `sampling` is given, the
 * processed distribution (candidates and weights) built from each model's `nodeLogits`.
 */
class MirrorModel implements TargetModel {
  rowsCompared = 0;
  rowsDiffering = 0;
  distributionsCompared = 0;
  distributionsDiffering = 0;
  fullTrees = 0;
  firstDifference = '';
  private readonly scratch: Predictions;
  private readonly full: ProcessedDistribution;
  private readonly kept: ProcessedDistribution;

  constructor(
    private readonly host: TargetModel,
    private readonly engine: TargetModel,
    private readonly sampling: SamplingOptions | null,
  ) {
    this.scratch = new Predictions(Math.max(host.maxDraftNodes, 512), host.topK);
    this.full = new ProcessedDistribution(host.info.vocabSize);
    this.kept = new ProcessedDistribution(host.info.vocabSize);
  }
  get info() {
    return this.host.info;
  }
  get backend() {
    return this.host.backend;
  }
  get topK() {
    return this.host.topK;
  }
  get maxDraftNodes() {
    return this.host.maxDraftNodes;
  }
  get committedLength() {
    return this.host.committedLength;
  }
  isEndOfGeneration(token: number): boolean {
    return this.host.isEndOfGeneration(token);
  }
  tokenize(text: string, addBos: boolean): Int32Array {
    return this.host.tokenize(text, addBos);
  }
  detokenize(tokens: ArrayLike<number>): string {
    return this.host.detokenize(tokens);
  }
  reset(): void {
    this.host.reset();
    this.engine.reset();
  }
  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void {
    this.host.prefill(tokens, out);
    this.engine.prefill(tokens, out ? this.scratch : null);
    if (out) this.compare(out, tokens.length, 'prefill');
  }
  evaluate(draft: Draft, out: Predictions): void {
    this.host.evaluate(draft, out);
    this.engine.evaluate(draft, this.scratch);
    if (draft.count === TREE_NODES) this.fullTrees++;
    this.compare(out, draft.count, `tree of ${draft.count}`);
  }
  commit(pathNodes: Int32Array, pathLength: number): void {
    this.host.commit(pathNodes, pathLength);
    this.engine.commit(pathNodes, pathLength);
  }
  nodeLogits(row: number): Float32Array {
    return (this.host.nodeLogits as (row: number) => Float32Array).call(this.host, row);
  }
  dispose(): void {}

  private compare(a: Predictions, rows: number, what: string): void {
    const b = this.scratch;
    const k = a.k;
    for (let i = 0; i < rows; i++) {
      this.rowsCompared++;
      let same = a.argmax[i] === b.argmax[i];
      for (let r = 0; r < k && same; r++)
        same = a.topIds[i * k + r] === b.topIds[i * k + r] && a.topLogits[i * k + r] === b.topLogits[i * k + r];
      if (!same) {
        this.rowsDiffering++;
        this.firstDifference ||= `${what}, row ${i}: host ${a.topIds.subarray(i * k, i * k + k).join(',')} engine ${b.topIds.subarray(i * k, i * k + k).join(',')}`;
      }
      if (this.sampling) this.compareDistribution(i, what);
    }
  }

  private compareDistribution(row: number, what: string): void {
    const sampling = this.sampling as SamplingOptions;
    this.full.build((this.host.nodeLogits as (r: number) => Float32Array).call(this.host, row), 0, sampling);
    this.kept.build((this.engine.nodeLogits as (r: number) => Float32Array).call(this.engine, row), 0, sampling);
    this.distributionsCompared++;
    let same = this.full.size === this.kept.size;
    for (let i = 0; i < this.full.size && same; i++)
      same = this.full.ids[i] === this.kept.ids[i] && this.full.weights[i] === this.kept.weights[i];
    if (!same) {
      this.distributionsDiffering++;
      this.firstDifference ||= `${what}, row ${row}: processed distributions differ`;
    }
  }
}

const trDrafter = (vocabSize: number, modelSha256: string): Drafter =>
  new TokenRecyclingDrafter({ vocabSize, k: K, template: parseTemplate('2.2.2', K), modelSha256 });

const storyPrompts = (n: number) =>
  loadStorySuite()
    .slice(0, n)
    .map((s) => s.prompt);

/** Every node of TR's tree over whole generations: greedy, then top-k sampling. */
function proveEveryNode(label: string, modelSpec: string, prompts: number, maxNewTokens: number) {
  describe(`engine ranking = host ranking at every node of TR's ${TREE_NODES}-node tree: ${label}`, () => {
    for (const sampled of [false, true]) {
      const mode = sampled ? `top-k sampling (T ${SAMPLING.temperature}, top-k ${SAMPLING.topK}, top-p ${SAMPLING.topP})` : 'greedy';
      it(mode, async () => {
        const pair = await openPair(modelSpec, sampled ? SAMPLING.topK : undefined);
        try {
          expect(pair.engine.backend.settings?.rank).toBe('engine');
          expect(pair.host.backend.settings?.rank).toBe('host');
          const mirror = new MirrorModel(pair.host, pair.engine, sampled ? SAMPLING : null);
          const loop = new DecodeLoop(mirror, trDrafter(mirror.info.vocabSize, mirror.info.sha256));
          for (const text of storyPrompts(prompts)) {
            loop.generate(mirror.tokenize(text, true), { maxNewTokens, ...(sampled ? { sampling: SAMPLING } : {}) });
          }
          process.stderr.write(
            `  ${label}, ${mode}: ${mirror.rowsCompared} rows compared (${mirror.fullTrees} full ${TREE_NODES}-node trees), ${mirror.distributionsCompared} distributions\n`,
          );
          expect(mirror.firstDifference).toBe('');
          expect(mirror.rowsDiffering).toBe(0);
          expect(mirror.distributionsDiffering).toBe(0);
          // The hot matrix fills the whole template after the first steps.
          expect(mirror.fullTrees).toBeGreaterThan(10);
          expect(mirror.rowsCompared).toBeGreaterThanOrEqual(mirror.fullTrees * TREE_NODES);
          if (sampled) expect(mirror.distributionsCompared).toBe(mirror.rowsCompared);
        } finally {
          pair.host.dispose();
          pair.engine.dispose();
        }
      });
    }
  });
}

const PROMPTS = proofScale(2, 8);
const NEW_TOKENS = proofScale(48, 128);

proveEveryNode('V = 512 (stories260K)', 'stories260K', PROMPTS, NEW_TOKENS);
proveEveryNode('V = 32,000 (wide twin twin:d128-l5-h8-kv4-f172-v32000:f32)', 'twin:d128-l5-h8-kv4-f172-v32000:f32', PROMPTS, NEW_TOKENS);

describe('--rank engine end to end on stories260K: TR and AR give host ranking’s tokens', () => {
  let host: Pair;
  let sampled: Pair;
  beforeAll(async () => {
    host = await openPair('stories260K');
    sampled = await openPair('stories260K', SAMPLING.topK);
  });
  afterAll(() => {
    for (const p of [host, sampled]) {
      p?.host.dispose();
      p?.engine.dispose();
    }
  });

  const stories = proofScale(3, 16);
  for (const method of ['ar', 'tr'] as const) {
    for (const mode of ['greedy', 'sampled'] as const) {
      it(`${method}, ${mode}: ${stories} stories, identical tokens`, () => {
        const pair = mode === 'greedy' ? host : sampled;
        const run = (model: TargetModel) => {
          const drafter = method === 'ar' ? new AutoregressiveDrafter() : trDrafter(model.info.vocabSize, model.info.sha256);
          const loop = new DecodeLoop(model, drafter);
          return storyPrompts(stories).map((text, i) =>
            Array.from(
              loop.generate(model.tokenize(text, true), {
                maxNewTokens: proofScale(64, 128),
                ...(mode === 'sampled' ? { sampling: { ...SAMPLING, seed: SAMPLING.seed + i } } : {}),
              }).tokens,
            ),
          );
        };
        expect(run(pair.engine)).toEqual(run(pair.host));
      });
    }
  }
});
