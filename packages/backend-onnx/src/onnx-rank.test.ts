import { resolveModel } from '@trbench/assets';
import { Draft, Predictions, ProcessedDistribution } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.ts';
import { lcg, randomTree } from './testing/compare.ts';

const N = 64;
const K = 8;
const SAMPLING_TOP_K = 12;

/** Whether the model fetches whole logits rows from ORT (its private full-row buffer exists). */
const fetchesFullRows = (m: OnnxModel) => (m as unknown as { logitsBuf: Float32Array | null }).logitsBuf !== null;

describe('onnx ranking paths on stories260K', () => {
  const models: Record<'greedy' | 'sampled' | 'fullSampling' | 'host', OnnxModel> = {} as never;
  beforeAll(async () => {
    const m = await resolveModel('stories260K');
    const common = { path: m.path, name: m.name, sha256: m.sha256, maxDraftNodes: N, topK: K, extraStopTokens: m.extraStopTokens };
    const open = (extra: Partial<OnnxModelOptions>) => OnnxModel.open({ ...common, ...extra });
    models.greedy = await open({});
    models.sampled = await open({ exposeLogits: true, samplingTopK: SAMPLING_TOP_K });
    models.fullSampling = await open({ exposeLogits: true, samplingTopK: 0 });
    models.host = await open({ exposeLogits: true, rank: 'host' });
  });
  afterAll(() => {
    for (const m of Object.values(models)) m?.dispose();
  });

  it('fetches whole logits rows only where they are needed, and records the ranking path', () => {
    expect(fetchesFullRows(models.greedy)).toBe(false);
    expect(models.greedy.nodeLogits).toBeUndefined();
    // Top-k sampling reads only the top-k: the graph's TopK returns them, no rows cross into JavaScript.
    expect(fetchesFullRows(models.sampled)).toBe(false);
    expect(models.sampled.nodeLogits).toBeDefined();
    // Sampling over the whole vocabulary needs whole rows (the rows it visits are known only after the forward).
    expect(fetchesFullRows(models.fullSampling)).toBe(true);
    expect(fetchesFullRows(models.host)).toBe(true);
    expect(models.greedy.backend.settings).toMatchObject({ rank: 'engine', engineTopK: K });
    expect(models.sampled.backend.settings).toMatchObject({ rank: 'engine', engineTopK: SAMPLING_TOP_K });
    expect(models.host.backend.settings?.rank).toBe('host');
    expect(models.host.backend.settings?.engineTopK).toBeUndefined();
  });

  it('every node of random trees: graph ranking = host ranking, and top-k sampling over the kept logits = over the whole row', () => {
    const prompt = models.host.tokenize('Once upon a time, there was a little dog named Max. He liked to run', true);
    const draft = new Draft(N);
    const rnd = lcg(3);
    const preds = Object.fromEntries(Object.keys(models).map((k) => [k, new Predictions(N, K)])) as Record<
      keyof typeof models,
      Predictions
    >;
    const options = { temperature: 0.8, topK: SAMPLING_TOP_K, topP: 0.9, seed: 0 };
    const full = new ProcessedDistribution(models.host.info.vocabSize);
    const kept = new ProcessedDistribution(models.host.info.vocabSize);
    for (const m of Object.values(models)) {
      m.reset();
      m.prefill(prompt.subarray(0, prompt.length - 1), null);
    }
    for (let t = 0; t < 3; t++) {
      randomTree(draft, prompt[prompt.length - 1], N, rnd);
      for (const [name, m] of Object.entries(models)) m.evaluate(draft, preds[name as keyof typeof models]);
      const rows = draft.count * K;
      const reference = Array.from(preds.host.topIds.subarray(0, rows));
      for (const name of ['greedy', 'sampled', 'fullSampling'] as const) {
        expect(Array.from(preds[name].topIds.subarray(0, rows)), name).toEqual(reference);
        expect(Array.from(preds[name].topLogits.subarray(0, rows)), name).toEqual(Array.from(preds.host.topLogits.subarray(0, rows)));
        expect(Array.from(preds[name].argmax.subarray(0, draft.count)), name).toEqual(
          Array.from(preds.host.argmax.subarray(0, draft.count)),
        );
      }
      for (let i = 0; i < draft.count; i++) {
        const sparse = (models.sampled.nodeLogits as (r: number) => Float32Array)(i);
        let finite = 0;
        for (let v = 0; v < sparse.length; v++) if (sparse[v] !== Number.NEGATIVE_INFINITY) finite++;
        expect(finite).toBe(SAMPLING_TOP_K);
        full.build((models.host.nodeLogits as (r: number) => Float32Array)(i), 0, options);
        kept.build(sparse, 0, options);
        expect(Array.from(kept.ids.subarray(0, kept.size))).toEqual(Array.from(full.ids.subarray(0, full.size)));
        expect(Array.from(kept.weights.subarray(0, kept.size))).toEqual(Array.from(full.weights.subarray(0, full.size)));
      }
      const path = new Int32Array([0, draft.firstChild[0]]);
      for (const m of Object.values(models)) m.commit(path, 2);
    }
  });

  it('rejects an unknown ranking path in one line', async () => {
    const m = await resolveModel('stories260K');
    await expect(
      OnnxModel.open({ path: m.path, name: m.name, sha256: m.sha256, maxDraftNodes: 4, topK: 4, rank: 'gpu' as 'host' }),
    ).rejects.toThrow(/^unknown ranking path "gpu": expected host, engine or auto$/);
  });
});
