import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import {
  type BatchBudget,
  BatchDecodeLoop,
  type BatchRunResult,
  type CostCurve,
  classifyDivergence,
  measureBatchCostCurve,
  type TargetModel,
  TrbenchError,
} from '@trbench/core';
import type { SweepConfig } from '../config/load.ts';
import { captureEnvironment, type Environment } from '../env/environment.ts';
import { createSlotDrafters } from '../methods/index.ts';
import { openBatchModel } from '../models/open-batch-model.ts';
import { promptTemplate } from '../models/templates.ts';
import { variantOrder } from './plan.ts';

/** What names a batched unit: model × dataset × batch size × budget policy × repeat × variant. */
export interface BatchUnitKey {
  model: string;
  dataset: string;
  batch: number;
  budget: 'per-request' | 'shared';
  repeat: number;
  variant: string;
  method: string;
}

/** One question of a batched unit: the request's own measurements and its check against plain decoding. */
export interface BatchQuestionRecord extends BatchUnitKey {
  questionId: string;
  index: number;
  slot: number;
  newTokens: number;
  steps: number;
  /** From entering its slot to its last token, ms. */
  latencyMs: number;
  /** Waiting for a slot, ms. */
  queuedMs: number;
  meanActive: number;
  /** Versus plain decoding at the same batch size (AR's record of the same question). null for AR. */
  lossless: null | { identical: true } | { identical: false; at: number; kind: string; reason: string };
}

/** One batched run of a variant over the whole dataset (a unit): what the run measured as a whole. */
export interface BatchUnitRecord extends BatchUnitKey {
  params: Record<string, unknown>;
  questions: number;
  newTokens: number;
  wallMs: number;
  /** Process CPU time (user + system) of the run. */
  cpuMs: number;
  rounds: number;
  forwards: number;
  meanNodesPerForward: number;
  meanActivePerForward: number;
  droppedDrafts: number;
  /** Tokens per step over all requests (MAT). */
  mat: number;
}

/** t(N) of one batch size on one model: totals N = B × n for the per-request draft sizes n. */
export interface BatchCurveRecord {
  model: string;
  batch: number;
  sizes: number[];
  ms: number[];
}

export interface BatchRun {
  dir: string;
  name: string;
  config: { file: string; hash: string; normalised: Record<string, unknown> };
  environment: Environment;
  backend: Record<string, unknown>;
  questions: BatchQuestionRecord[];
  units: BatchUnitRecord[];
  curves: BatchCurveRecord[];
}

/**
 * Per-request draft sizes at which t(B·n) is measured (the shared budget's curve, extended past 16 along its
 * last segment, and the report's columns); small so that the curve of a wide model at batch 8 fits a session.
 */
export const BATCH_CURVE_SIZES = [1, 2, 4, 8, 16];

/** A MethodContext model for batched sweeps: methods that open or tune on the target (sps, `template: auto`) are refused. */
function noSingleModel(variant: string): TargetModel {
  return new Proxy({} as TargetModel, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      throw new TrbenchError(`${variant}: this method needs the single-request target (${String(prop)}), which batched sweeps do not open`);
    },
  });
}

/**
 * Runs a config's `batch` axis: for every model, dataset, batch size, budget policy and repeat, each variant
 * decodes the dataset's first turns with `batch` requests in flight (continuous batching); AR at the same
 * batch is the baseline. Variants run back to back in an order rotated by the repeat, after one unrecorded
 * warm-up run of the first `batch` questions on separate drafters. Writes the run folder at the end.
 */
export async function runBatchSweep(
  config: SweepConfig,
  options: {
    dir: string;
    name: string;
    overwrite?: boolean;
    signal?: AbortSignal;
    log?: (line: string) => void;
    /** After each model × batch size, with everything measured so far (a killed run keeps those files). */
    onPartial?: (run: BatchRun) => void;
  },
): Promise<BatchRun> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const batches = config.batch;
  if (!batches) throw new TrbenchError(`${config.display}: no batch axis`);
  if (config.variants[0]?.method !== 'ar') throw new TrbenchError(`${config.display}: batched sweeps need the ar baseline`);
  for (const m of config.models) {
    if (m.sampling) throw new TrbenchError(`${config.display}: model ${m.id}: batched decoding is greedy only (no sampling)`);
  }
  const questions: BatchQuestionRecord[] = [];
  let cleared = false;
  const units: BatchUnitRecord[] = [];
  const curves: BatchCurveRecord[] = [];
  let backend: Record<string, unknown> = {};
  for (const m of config.models) {
    for (const batch of batches) {
      const { model } = await openBatchModel({
        model: m.resolved.path,
        backend: m.backend,
        threads: m.threads,
        device: m.device,
        maxDraftNodes: Math.max(m.requirements.maxDraftNodes, ...BATCH_CURVE_SIZES),
        topK: m.requirements.topK,
        contextSize: m.contextSize,
        rank: m.rank,
        batch,
        signal: options.signal,
      });
      try {
        backend = { ...model.backend };
        const t0 = Date.now();
        const chain = Int32Array.from({ length: Math.max(...BATCH_CURVE_SIZES) }, (_, i) => i - 1);
        const curve: CostCurve = await measureBatchCostCurve(model, BATCH_CURVE_SIZES, () => chain, {
          contextLength: 64,
          repeats: 3,
          signal: options.signal,
        });
        curves.push({ model: m.id, batch, sizes: curve.sizes, ms: curve.ms });
        log(
          `[batch] ${m.id} B=${batch}: t(N) measured in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${curve.sizes.map((n, i) => `${n}:${curve.ms[i].toFixed(2)}`).join(' ')}`,
        );
        for (const dataset of config.datasets) {
          const template = promptTemplate(m.template, m.system);
          const prompts = dataset.questions.map((q) => model.tokenize(template.render(q.turns.slice(0, 1), []), true));
          const fits = prompts.map((p) => p.length < model.info.contextSize);
          const requests = prompts.filter((_, i) => fits[i]).map((prompt) => ({ prompt, maxNewTokens: dataset.maxNewTokens }));
          const asked = dataset.questions.filter((_, i) => fits[i]);
          if (requests.length === 0) continue;
          const variants = config.variants.filter((v) => !v.datasets || v.datasets.includes(dataset.id));
          for (const budgetName of config.batchBudget) {
            const budget: BatchBudget = budgetName === 'shared' ? { policy: 'shared', curve } : { policy: 'per-request' };
            for (let repeat = 0; repeat < config.repeats; repeat++) {
              const arTokens = new Map<number, Int32Array>();
              const arTraces = new Map<number, BatchRunResult['results'][number]>();
              const order = variantOrder(variants.length, repeat);
              // AR first in each repeat so every method's requests are checked against it; the others rotate.
              const ordered = [0, ...order.filter((i) => i !== 0)];
              for (const vi of ordered) {
                const variant = variants[vi];
                const context = {
                  vocabSize: model.info.vocabSize,
                  modelSha256: model.info.sha256,
                  modelName: m.id,
                  model: noSingleModel(variant.id),
                  signal: options.signal,
                };
                // Warm-up on separate drafters: the engine and caches, not the measured drafters' state.
                if (config.warmup > 0) {
                  const warm = await createSlotDrafters(variant.method, variant.params, context, batch, variant.source);
                  await new BatchDecodeLoop(model, warm).runAsync(requests.slice(0, batch), { budget, signal: options.signal });
                }
                const drafters = await createSlotDrafters(variant.method, variant.params, context, batch, variant.source);
                const cpu0 = process.cpuUsage();
                const t1 = performance.now();
                const run = await new BatchDecodeLoop(model, drafters).runAsync(requests, { budget, signal: options.signal });
                const wallMs = performance.now() - t1;
                const cpu = process.cpuUsage(cpu0);
                for (const d of new Set(drafters.drafters)) d.dispose?.();
                const steps = run.results.reduce((a, r) => a + r.steps, 0);
                units.push({
                  model: m.id,
                  dataset: dataset.id,
                  batch,
                  budget: budgetName,
                  repeat,
                  variant: variant.id,
                  method: variant.method,
                  params: variant.params,
                  questions: requests.length,
                  newTokens: run.tokens,
                  wallMs,
                  cpuMs: (cpu.user + cpu.system) / 1000,
                  rounds: run.rounds,
                  forwards: run.forwards,
                  meanNodesPerForward: run.meanNodesPerForward,
                  meanActivePerForward: run.meanActivePerForward,
                  droppedDrafts: run.droppedDrafts,
                  mat: steps === 0 ? 0 : run.tokens / steps,
                });
                for (const r of run.results) {
                  let lossless: BatchQuestionRecord['lossless'] = null;
                  if (variant.method === 'ar') {
                    arTokens.set(r.request, r.tokens);
                    arTraces.set(r.request, r);
                  } else {
                    const ref = arTokens.get(r.request) as Int32Array;
                    const n = Math.min(ref.length, r.tokens.length);
                    let at = 0;
                    while (at < n && ref[at] === r.tokens[at]) at++;
                    if (at === n && ref.length === r.tokens.length) lossless = { identical: true };
                    else if (at === n)
                      lossless = { identical: false, at, kind: 'logic', reason: `lengths ${r.tokens.length} vs ${ref.length}` };
                    else {
                      const side = (x: BatchRunResult['results'][number], i: number) => ({
                        committed: x.tokens[i],
                        id: x.trace.ids[2 * i],
                        logit: x.trace.logits[2 * i],
                        runnerUp: { id: x.trace.ids[2 * i + 1], logit: x.trace.logits[2 * i + 1] },
                      });
                      const v = classifyDivergence(
                        side(arTraces.get(r.request) as BatchRunResult['results'][number], at),
                        side(r, at),
                        config.numericTie,
                      );
                      lossless = { identical: false, at, kind: v.kind, reason: v.reason };
                    }
                  }
                  questions.push({
                    model: m.id,
                    dataset: dataset.id,
                    batch,
                    budget: budgetName,
                    repeat,
                    variant: variant.id,
                    method: variant.method,
                    questionId: asked[r.request].id,
                    index: r.request,
                    slot: r.slot,
                    newTokens: r.tokens.length,
                    steps: r.steps,
                    latencyMs: r.timing.totalMs,
                    queuedMs: r.queuedMs,
                    meanActive: r.meanActive,
                    lossless,
                  });
                }
                log(
                  `[batch] ${m.id} ${dataset.id} B=${batch} ${budgetName} r${repeat} ${variant.id}: ${run.tokens} tokens in ${(wallMs / 1000).toFixed(2)} s (${((run.tokens * 1000) / wallMs).toFixed(0)} tok/s), MAT ${(run.tokens / Math.max(1, steps)).toFixed(2)}, ${run.meanNodesPerForward.toFixed(1)} nodes/round`,
                );
              }
            }
          }
        }
      } finally {
        model.dispose();
      }
      options.onPartial?.(snapshot());
    }
  }
  return snapshot();

  function snapshot(): BatchRun {
    const result: BatchRun = {
      dir: options.dir,
      name: options.name,
      config: { file: config.display, hash: config.hash, normalised: config.normalised },
      environment: captureEnvironment(),
      backend,
      questions,
      units,
      curves,
    };
    if (options.overwrite && !cleared) rmSync(options.dir, { recursive: true, force: true });
    cleared = true;
    mkdirSync(options.dir, { recursive: true });
    writeFileAtomic(path.join(options.dir, 'batch-records.jsonl'), questions.map((q) => `${JSON.stringify(q)}\n`).join(''));
    writeFileAtomic(
      path.join(options.dir, 'batch-run.json'),
      `${JSON.stringify({ schema: 'trbench-batch-run/1', name: result.name, config: result.config, environment: result.environment, backend, units, curves }, null, 2)}\n`,
    );
    return result;
  }
}
