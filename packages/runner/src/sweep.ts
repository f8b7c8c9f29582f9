import { DecodeLoop, type Drafter, type TargetModel, TrbenchError } from '@trbench/core';
import type { ModelSetup, SweepConfig } from './config/load.ts';
import { type QuestionOutcome, runQuestion } from './conversation.ts';
import type { Question } from './datasets/types.ts';
import { compareWithReference } from './lossless.ts';
import { openModel } from './open-model.ts';
import { planUnits, type Unit, unitKey } from './plan.ts';
import type { Progress } from './progress.ts';
import { type DraftModelIdentity, type RecordLog, type RunRecord, recordKey } from './records.ts';
import { promptTemplate } from './templates.ts';

export interface SweepOptions {
  config: SweepConfig;
  log: RecordLog;
  /** Index of this session in the run's manifest. */
  session: number;
  progress: Progress;
  /** Stops the sweep between two questions (Ctrl-C): the records written so far stay valid. */
  signal?: AbortSignal;
  /** Called after each record is durably written (tests use it to simulate a crash). */
  afterRecord?: (record: RunRecord) => void;
}

/** Opens a model of the sweep for the largest draft and top-k of its variants. */
export async function openSetup(m: ModelSetup): Promise<TargetModel> {
  const { model } = await openModel({
    model: m.resolved.path,
    backend: m.backend,
    threads: m.threads,
    device: m.device,
    maxDraftNodes: m.requirements.maxDraftNodes,
    topK: m.requirements.topK,
    contextSize: m.contextSize,
    exposeLogits: m.sampling !== undefined,
  });
  return model;
}

/**
 * Lets timers (the progress bar's redraw) and signal handlers run between questions, decoding being
 * synchronous, then stops if the sweep was aborted.
 */
async function yieldToEventLoop(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw signal.reason;
}

function draftIdentity(model: TargetModel): DraftModelIdentity {
  return { name: model.info.name, sha256: model.info.sha256, backend: { ...model.backend } };
}

function sameOutcome(record: RunRecord, outcome: QuestionOutcome): boolean {
  if (record.status !== outcome.status || record.turns.length !== outcome.turns.length) return false;
  return compareWithReference(record.turns, outcome.turns) === null;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** One line about a finished unit, for logs. */
function unitLine(index: number, total: number, unit: Unit, records: RunRecord[], seconds: number): string {
  const done = records.filter((r) => r.status === 'done');
  const tokens = done.reduce((s, r) => s + r.newTokens, 0);
  const steps = done.reduce((s, r) => s + r.steps, 0);
  const macro = done.length === 0 ? Number.NaN : done.reduce((s, r) => s + (r.newTokens * 1000) / r.wallMs, 0) / done.length;
  const compared = records.filter((r) => r.lossless !== null && r.turns.length > 0);
  const lossless =
    unit.variant.method === 'ar' ? 'reference' : `lossless ${compared.filter((r) => r.lossless?.identical).length}/${compared.length}`;
  const skipped = records.length - done.length;
  return (
    `[${index}/${total}] ${unit.model.id} ${unit.dataset.id}${unit.repeat > 0 ? ` repeat ${unit.repeat + 1}` : ''} ${unit.variant.id}: ` +
    `${done.length} questions${skipped > 0 ? ` (${skipped} skipped)` : ''}, MAT ${fmt(tokens / steps, 2)}, ${fmt(macro, 1)} tok/s, ${lossless}, ${seconds.toFixed(1)} s`
  );
}

/**
 * Runs every unfinished unit of the sweep, appending one record per question. Resuming a unit that has
 * records replays its warm-up and finished questions without recording them (checking that they give
 * the recorded tokens), so a stateful drafter reaches exactly the state it had: the resumed records are
 * what an uninterrupted run writes, in every deterministic field.
 */
export async function runSweep(options: SweepOptions): Promise<void> {
  const { config, log, progress } = options;
  const units = planUnits(config);
  const planned = new Set(units.map((u) => u.key));
  const byUnit = new Map<string, RunRecord[]>();
  for (const r of log.records) {
    const key = unitKey(r.model, r.dataset, r.repeat, r.variant);
    if (!planned.has(key)) throw new TrbenchError(`${log.file}: a record of ${key} is not part of this config's plan`);
    let list = byUnit.get(key);
    if (!list) byUnit.set(key, (list = []));
    list.push(r);
  }
  // Records of a unit are written in question order, so what is there must be a prefix of the plan.
  for (const unit of units) {
    const recs = byUnit.get(unit.key) ?? [];
    recs.forEach((r, i) => {
      if (r.questionId !== unit.dataset.questions[i]?.id)
        throw new TrbenchError(`${log.file}: records of ${unit.key} are not in the planned question order (at ${r.questionId})`);
      if (r.modelSha256 !== unit.model.resolved.sha256)
        throw new TrbenchError(
          `${log.file}: records of ${unit.model.id} were made with model sha256 ${r.modelSha256}, now ${unit.model.resolved.sha256}`,
        );
    });
  }
  const references = new Map<string, RunRecord>();
  for (const r of log.records) if (r.method === 'ar') references.set(recordKey({ ...r, variant: '' }), r);

  const total = units.reduce((s, u) => s + u.dataset.questions.length, 0);
  progress.start(total, log.records.length);
  for (const setup of config.models) {
    const modelUnits = units.filter((u) => u.model === setup && (byUnit.get(u.key)?.length ?? 0) < u.dataset.questions.length);
    if (modelUnits.length === 0) continue;
    progress.status(`opening ${setup.id}`);
    const model = await openSetup(setup);
    try {
      if (model.info.sha256 !== setup.resolved.sha256) throw new Error(`opened ${model.info.sha256}, expected ${setup.resolved.sha256}`);
      for (const unit of modelUnits) {
        await runUnit(unit, model, units.indexOf(unit) + 1, units.length, byUnit.get(unit.key) ?? [], references, options);
      }
    } finally {
      model.dispose();
    }
  }
}

async function runUnit(
  unit: Unit,
  model: TargetModel,
  index: number,
  total: number,
  finished: RunRecord[],
  references: Map<string, RunRecord>,
  options: SweepOptions,
): Promise<void> {
  const { variant } = unit;
  const t0 = performance.now();
  const drafter = await variant.spec.create(variant.params, {
    vocabSize: model.info.vocabSize,
    modelSha256: unit.model.resolved.sha256,
    modelName: unit.model.resolved.name,
    model,
    modelSpec: unit.model.spec,
    sampled: unit.model.sampling !== undefined,
  });
  try {
    await runDrafter(unit, model, drafter, index, total, finished, references, options, t0);
  } finally {
    drafter.dispose?.();
  }
}

async function runDrafter(
  unit: Unit,
  model: TargetModel,
  drafter: Drafter,
  index: number,
  total: number,
  finished: RunRecord[],
  references: Map<string, RunRecord>,
  options: SweepOptions,
  t0: number,
): Promise<void> {
  const { config, log, progress } = options;
  const { variant, dataset } = unit;
  const loop = new DecodeLoop(model, drafter);
  const template = promptTemplate(unit.model.template, unit.model.system);
  const maxNew = dataset.maxNewTokens;
  const sampling = unit.model.sampling;
  const samplingFor = (questionIndex: number) => (sampling ? { options: sampling, questionIndex } : undefined);
  let requests = 0;

  // Warm-up as Spec-Bench: full runs of the first question (here: the first whose turn 1 fits), unrecorded.
  const contextSize = model.info.contextSize;
  const warmQuestion = dataset.questions.find((q) => model.tokenize(template.render(q.turns.slice(0, 1), []), true).length < contextSize);
  for (let w = 0; warmQuestion && w < config.warmup; w++) {
    progress.status(`${variant.id} warm-up ${w + 1}/${config.warmup}`);
    requests += runQuestion(loop, template, warmQuestion, maxNew, samplingFor(-1 - w)).turns.length;
    await yieldToEventLoop(options.signal);
  }
  const warmupRuns = warmQuestion ? config.warmup : 0;

  if (finished.length > 0) {
    progress.line(
      `resuming ${unit.model.id} ${dataset.id} ${variant.id}: replaying ${finished.length} recorded questions to rebuild the drafter state`,
    );
  }
  const unitRecords: RunRecord[] = [...finished];
  for (let qi = 0; qi < dataset.questions.length; qi++) {
    const question: Question = dataset.questions[qi];
    const replay = qi < finished.length;
    progress.status(`${variant.id} ${dataset.id} ${replay ? 'replay ' : ''}q ${question.id} (${qi + 1}/${dataset.questions.length})`);
    const requestsBefore = requests;
    const outcome = runQuestion(loop, template, question, maxNew, samplingFor(qi));
    requests += outcome.turns.length;
    if (replay) {
      if (!sameOutcome(finished[qi], outcome)) {
        throw new TrbenchError(
          `cannot resume: replaying question ${question.id} of ${unit.key} gave other tokens than recorded ` +
            '(the method is not deterministic, or the code changed since the run started); start a new run',
        );
      }
      await yieldToEventLoop(options.signal);
      continue;
    }
    const base = {
      model: unit.model.id,
      dataset: dataset.id,
      repeat: unit.repeat,
      questionId: question.id,
    };
    let lossless: RunRecord['lossless'] = null;
    if (variant.method !== 'ar' && !sampling) {
      const reference = references.get(recordKey({ ...base, variant: '' }));
      if (!reference) throw new Error(`no AR record for ${recordKey({ ...base, variant: 'ar' })}`);
      const divergence = compareWithReference(reference.turns, outcome.turns);
      lossless = divergence === null ? { identical: true } : { identical: false, ...divergence };
    }
    const record: RunRecord = {
      v: 1,
      session: options.session,
      ...base,
      modelSha256: unit.model.resolved.sha256,
      backend: { ...model.backend },
      template: template.name,
      subtask: question.subtask,
      category: question.category,
      index: qi,
      variant: variant.id,
      method: variant.method,
      params: variant.params,
      maxNewTokens: maxNew,
      ...(sampling ? { sampling } : {}),
      ...(drafter.draftModel ? { draftModel: draftIdentity(drafter.draftModel) } : {}),
      drafter: { warm: requestsBefore > 0, requestsBefore, warmupRuns },
      status: outcome.status,
      ...(outcome.skipReason ? { skipReason: outcome.skipReason } : {}),
      turns: outcome.turns,
      newTokens: outcome.turns.reduce((s, t) => s + t.tokens.length, 0),
      steps: outcome.turns.reduce((s, t) => s + t.steps, 0),
      wallMs: outcome.turns.reduce((s, t) => s + t.timing.totalMs, 0),
      lossless,
      finishedAt: new Date().toISOString(),
    };
    log.append(record);
    unitRecords.push(record);
    if (variant.method === 'ar') references.set(recordKey({ ...base, variant: '' }), record);
    progress.advance();
    options.afterRecord?.(record);
    await yieldToEventLoop(options.signal);
  }
  progress.line(unitLine(index, total, unit, unitRecords, (performance.now() - t0) / 1000));
}
