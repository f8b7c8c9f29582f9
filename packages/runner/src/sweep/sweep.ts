import { DecodeLoop, type Drafter, type TargetModel, TrbenchError, yieldToEventLoop } from '@trbench/core';
import type { ModelSetup, SweepConfig } from '../config/load.ts';
import type { Question } from '../datasets/types.ts';
import { type QuestionOutcome, questionSteps, runQuestion } from '../generation/conversation.ts';
import { compareWithReference, diagnoseDivergence, divergenceKind } from '../generation/lossless.ts';
import { isOracleDraft } from '../models/draft-model.ts';
import { openModel } from '../models/open-model.ts';
import { promptTemplate } from '../models/templates.ts';
import { type Block, planBlocks, type Unit, unitKey, variantOrder } from './plan.ts';
import type { Progress } from './progress.ts';
import { type DraftModelIdentity, type RecordLog, type RunRecord, recordKey } from './records.ts';
import type { ShardRange } from './shard.ts';

export interface SweepOptions {
  config: SweepConfig;
  log: RecordLog;
  /** Index of this session in the run's manifest. */
  session: number;
  progress: Progress;
  /**
   * Stops the sweep at the next decode step (Ctrl-C): the records written so far stay valid; the row of
   * the question in flight is not recorded, so `--resume` answers it again.
   */
  signal?: AbortSignal;
  /** Called after each record is durably written (tests use it to simulate a crash). */
  afterRecord?: (record: RunRecord) => void;
  /** In a shard: the question range each (model, dataset) records (`shardRanges`); absent = every question. */
  shard?: ReadonlyMap<string, ShardRange>;
  /** Replaces a unit's drafter (benches inject a known slowdown with it to test the CI gate). */
  wrapDrafter?: (unit: Unit, drafter: Drafter) => Drafter;
}

/** Opens a model of the sweep for the largest draft and top-k of its variants. */
export async function openSetup(m: ModelSetup, signal?: AbortSignal): Promise<TargetModel> {
  const { model } = await openModel({
    model: m.resolved.path,
    backend: m.backend,
    threads: m.threads,
    device: m.device,
    maxDraftNodes: m.requirements.maxDraftNodes,
    topK: m.requirements.topK,
    contextSize: m.contextSize,
    exposeLogits: m.sampling !== undefined,
    signal,
    samplingTopK: m.sampling?.topK,
    rank: m.rank,
  });
  return model;
}

function draftIdentity(draft: TargetModel, target: TargetModel): DraftModelIdentity {
  return {
    name: draft.info.name,
    sha256: draft.info.sha256,
    backend: { ...draft.backend },
    oracle: isOracleDraft(target.info, draft.info),
  };
}

function sameOutcome(record: RunRecord, outcome: QuestionOutcome): boolean {
  if (record.status !== outcome.status || record.turns.length !== outcome.turns.length) return false;
  return compareWithReference(record.turns, outcome.turns) === null;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** One line about a finished unit, for logs; `seconds` is the time its own warm-up and questions took. */
function unitLine(index: number, total: number, unit: Unit, records: RunRecord[], seconds: number): string {
  const done = records.filter((r) => r.status === 'done');
  const tokens = done.reduce((s, r) => s + r.newTokens, 0);
  const steps = done.reduce((s, r) => s + r.steps, 0);
  const macro = done.length === 0 ? Number.NaN : done.reduce((s, r) => s + (r.newTokens * 1000) / r.wallMs, 0) / done.length;
  const compared = records.filter((r) => r.lossless !== null && r.turns.length > 0);
  const numeric = compared.filter((r) => r.lossless && !r.lossless.identical && divergenceKind(r.lossless) === 'numeric').length;
  const lossless =
    unit.variant.method === 'ar'
      ? 'reference'
      : `lossless ${compared.filter((r) => r.lossless?.identical).length + numeric}/${compared.length}${numeric > 0 ? ` (${numeric} numeric)` : ''}`;
  const skipped = records.length - done.length;
  return (
    `[${index}/${total}] ${unit.model.id} ${unit.dataset.id}${unit.repeat > 0 ? ` repeat ${unit.repeat + 1}` : ''} ${unit.variant.id}: ` +
    `${done.length} questions${skipped > 0 ? ` (${skipped} skipped)` : ''}, MAT ${fmt(tokens / steps, 2)}, ${fmt(macro, 1)} tok/s, ${lossless}, ${seconds.toFixed(1)} s`
  );
}

/**
 * Runs every unfinished unit of the sweep, block by block (model × dataset × repeat, see `Block`),
 * appending one record per unit and question. Resuming replays, for each unit that has records, its
 * warm-up and finished questions without recording them (checking that they give the recorded tokens),
 * so a stateful drafter reaches exactly the state it had: the resumed records are what an uninterrupted
 * run writes, in every deterministic field.
 */
export async function runSweep(options: SweepOptions): Promise<void> {
  const { config, log, progress } = options;
  const blocks = planBlocks(config, options.shard);
  const units = blocks.flatMap((b) => b.units);
  const blockOf = new Map(blocks.flatMap((b) => b.units.map((u) => [u.key, b] as const)));
  const byUnit = new Map<string, RunRecord[]>();
  for (const r of log.records) {
    const key = unitKey(r.model, r.dataset, r.repeat, r.variant);
    if (!blockOf.has(key)) throw new TrbenchError(`${log.file}: a record of ${key} is not part of this config's plan`);
    let list = byUnit.get(key);
    if (!list) byUnit.set(key, (list = []));
    list.push(r);
  }
  // Records of a unit are written in question order, so what is there must be a prefix of its block's questions.
  for (const unit of units) {
    const block = blockOf.get(unit.key)!;
    const recs = byUnit.get(unit.key) ?? [];
    recs.forEach((r, i) => {
      if (r.questionId !== unit.dataset.questions[block.questions[i]]?.id)
        throw new TrbenchError(`${log.file}: records of ${unit.key} are not in the planned question order (at ${r.questionId})`);
      if (r.modelSha256 !== unit.model.resolved.sha256)
        throw new TrbenchError(
          `${log.file}: records of ${unit.model.id} were made with model sha256 ${r.modelSha256}, now ${unit.model.resolved.sha256}`,
        );
    });
  }
  const references = new Map<string, RunRecord>();
  for (const r of log.records) if (r.method === 'ar') references.set(recordKey({ ...r, variant: '' }), r);

  const total = blocks.reduce((s, b) => s + b.units.length * b.questions.length, 0);
  const remaining = new Map<string, number>();
  for (const b of blocks) {
    for (const u of b.units) {
      const left = b.questions.length - (byUnit.get(u.key)?.length ?? 0);
      remaining.set(u.variant.id, (remaining.get(u.variant.id) ?? 0) + left);
    }
  }
  progress.start(total, log.records.length, remaining);
  const unfinished = (b: Block) => b.units.some((u) => (byUnit.get(u.key)?.length ?? 0) < b.questions.length);
  for (const setup of config.models) {
    const modelBlocks = blocks.filter((b) => b.model === setup && unfinished(b));
    if (modelBlocks.length === 0) continue;
    progress.status(`opening ${setup.id}`);
    const model = await openSetup(setup, options.signal);
    try {
      if (model.info.sha256 !== setup.resolved.sha256) throw new Error(`opened ${model.info.sha256}, expected ${setup.resolved.sha256}`);
      for (const block of modelBlocks) {
        await runBlock(block, model, (u) => units.indexOf(u) + 1, units.length, byUnit, references, options);
      }
    } finally {
      model.dispose();
    }
  }
}

/** One unit of a block being run: its own drafter and decode loop, and what it has done so far. */
interface Lane {
  unit: Unit;
  /** The method's own drafter (the loop may run it wrapped); disposed when the block ends. */
  drafter: Drafter;
  loop: DecodeLoop;
  /** Records of this unit already in the file (replayed, not rewritten). */
  finished: RunRecord[];
  /** Its records, finished and new (for the log line). */
  records: RunRecord[];
  /** Requests (turns) this drafter served so far, warm-up included when it ran on this drafter (`spec-bench`). */
  requests: number;
  warmupRuns: number;
  /** The drafter's draft model, as records name it (checked once per lane). */
  draftModel?: DraftModelIdentity;
  /** Time spent in this unit's warm-up and questions. */
  ms: number;
}

async function runBlock(
  block: Block,
  model: TargetModel,
  indexOf: (unit: Unit) => number,
  total: number,
  byUnit: Map<string, RunRecord[]>,
  references: Map<string, RunRecord>,
  options: SweepOptions,
): Promise<void> {
  const { config, log, progress } = options;
  const { dataset } = block;
  const template = promptTemplate(block.model.template, block.model.system);
  const maxNew = dataset.maxNewTokens;
  const sampling = block.model.sampling;
  const samplingFor = (questionIndex: number) => (sampling ? { options: sampling, questionIndex } : undefined);
  const contextSize = model.info.contextSize;
  // Warm-up as Spec-Bench: full runs of the first question (here: the first whose turn 1 fits), unrecorded.
  const warmQuestion = dataset.questions.find((q) => model.tokenize(template.render(q.turns.slice(0, 1), []), true).length < contextSize);

  /**
   * The warm-up (`config.warmup` unrecorded runs of `question`). `spec-bench`: on the lane's own drafter, which
   * keeps what it learnt (Spec-Bench's protocol: the recorded runs see a drafter that has already answered the
   * first question). `isolated` (default): on a second drafter from the same factory, disposed afterwards, so
   * the recorded drafter starts exactly as with `warmup: 0` while the model, the code and the caches are warm.
   * A method that declares it carries no state across requests (`carriesState` false) warms its own drafter:
   * nothing can leak, and what it owns (a draft model, a datastore) gets warm too.
   */
  const warmUp = async (lane: Lane, create: () => Drafter | Promise<Drafter>, question: Question) => {
    const { unit } = lane;
    const separate =
      config.warmupProtocol === 'isolated' && (unit.variant.spec.carriesState?.(unit.variant.params) ?? true) ? await create() : null;
    try {
      const loop = separate ? new DecodeLoop(model, options.wrapDrafter ? options.wrapDrafter(unit, separate) : separate) : lane.loop;
      for (let w = 0; w < config.warmup; w++) {
        progress.status(`${unit.variant.id} warm-up ${w + 1}/${config.warmup}`);
        const served = (await runQuestion(loop, template, question, maxNew, samplingFor(-1 - w), options.signal)).turns.length;
        if (!separate) lane.requests += served;
        await yieldToEventLoop(options.signal);
      }
    } finally {
      separate?.dispose?.();
    }
  };

  // Every unfinished unit gets its drafter and warm-up up front; a finished unit needs neither.
  const lanes = new Map<Unit, Lane>();
  try {
    for (const unit of block.units) {
      const finished = byUnit.get(unit.key) ?? [];
      if (finished.length >= block.questions.length) continue;
      const t0 = performance.now();
      const create = () =>
        unit.variant.spec.create(unit.variant.params, {
          vocabSize: model.info.vocabSize,
          modelSha256: block.model.resolved.sha256,
          modelName: block.model.resolved.name,
          model,
          modelSpec: block.model.spec,
          sampled: sampling !== undefined,
          signal: options.signal,
        });
      const created = await create();
      const drafter = options.wrapDrafter ? options.wrapDrafter(unit, created) : created;
      const lane: Lane = {
        unit,
        drafter: created,
        loop: new DecodeLoop(model, drafter),
        finished,
        records: [...finished],
        requests: 0,
        warmupRuns: warmQuestion ? config.warmup : 0,
        ...(created.draftModel ? { draftModel: draftIdentity(created.draftModel, model) } : {}),
        ms: 0,
      };
      // Lanes enter the map before their warm-up so that an interrupted warm-up still disposes the drafter.
      lanes.set(unit, lane);
      if (warmQuestion && config.warmup > 0) await warmUp(lane, create, warmQuestion);
      // In a shard, a drafter that carries state across requests replays, unrecorded, the dataset's questions
      // before the shard's block (earlier shards'), as a one-machine run would have served them; a drafter
      // that keeps no state skips them.
      const first = block.questions[0] ?? 0;
      if (first > 0 && (unit.variant.spec.carriesState?.(unit.variant.params) ?? true)) {
        progress.line(
          `shard: ${block.model.id} ${dataset.id} ${unit.variant.id}: replaying the ${first} questions before this shard's to rebuild the drafter state`,
        );
        for (let qi = 0; qi < first; qi++) {
          progress.status(`${unit.variant.id} ${dataset.id} shard replay q ${dataset.questions[qi].id} (${qi + 1}/${first})`);
          lane.requests += (
            await runQuestion(lane.loop, template, dataset.questions[qi], maxNew, samplingFor(qi), options.signal)
          ).turns.length;
          await yieldToEventLoop(options.signal);
        }
      }
      lane.ms += performance.now() - t0;
      if (finished.length > 0) {
        progress.line(
          `resuming ${block.model.id} ${dataset.id} ${unit.variant.id}: replaying ${finished.length} recorded questions to rebuild the drafter state`,
        );
      }
    }

    for (let pos = 0; pos < block.questions.length; pos++) {
      const qi = block.questions[pos];
      const question: Question = dataset.questions[qi];
      const base = { model: block.model.id, dataset: dataset.id, repeat: block.repeat, questionId: question.id };
      // The row of this question: each lane answers it (or replays it), in the rotation's order.
      const fresh = new Map<Lane, { outcome: QuestionOutcome; requestsBefore: number; ms: number }>();
      // AR's outcome of this row (fresh or replayed): its top-2 traces diagnose the methods' divergences.
      let referenceOutcome: QuestionOutcome | undefined;
      for (const i of variantOrder(block.units.length, qi)) {
        const lane = lanes.get(block.units[i]);
        if (!lane) continue;
        const replay = pos < lane.finished.length;
        const id = lane.unit.variant.id;
        progress.status(`${id} ${dataset.id} ${replay ? 'replay ' : ''}q ${question.id} (${pos + 1}/${block.questions.length})`);
        const requestsBefore = lane.requests;
        const t0 = performance.now();
        const outcome = await runQuestion(lane.loop, template, question, maxNew, samplingFor(qi), options.signal);
        const ms = performance.now() - t0;
        lane.ms += ms;
        lane.requests += outcome.turns.length;
        if (lane.unit.variant.method === 'ar') referenceOutcome = outcome;
        if (replay) {
          if (!sameOutcome(lane.finished[pos], outcome)) {
            throw new TrbenchError(
              `cannot resume: replaying question ${question.id} of ${lane.unit.key} gave other tokens than recorded ` +
                '(the method is not deterministic, or the code changed since the run started); start a new run',
            );
          }
        } else {
          fresh.set(lane, { outcome, requestsBefore, ms });
        }
        await yieldToEventLoop(options.signal);
      }
      // Records of the row in config order (AR first), once AR's tokens for the question are known.
      for (const [lane, { outcome, requestsBefore, ms }] of [...fresh].sort((a, b) => indexOf(a[0].unit) - indexOf(b[0].unit))) {
        const { unit } = lane;
        let lossless: RunRecord['lossless'] = null;
        if (unit.variant.method !== 'ar' && !sampling) {
          const reference = references.get(recordKey({ ...base, variant: '' }));
          if (!reference) throw new Error(`no AR record for ${recordKey({ ...base, variant: 'ar' })}`);
          const divergence = compareWithReference(reference.turns, outcome.turns);
          // Without AR's traces (AR recorded in an earlier session), the diagnosis re-evaluates the prefix.
          lossless =
            divergence === null
              ? { identical: true }
              : {
                  identical: false,
                  ...diagnoseDivergence(
                    model,
                    divergence,
                    { turns: reference.turns, evidence: referenceOutcome?.evidence },
                    outcome,
                    config.numericTie,
                  ),
                };
        }
        const record: RunRecord = {
          v: 1,
          session: options.session,
          ...base,
          modelSha256: block.model.resolved.sha256,
          stopTokens: [...model.info.stopTokens],
          backend: { ...model.backend },
          template: template.name,
          subtask: question.subtask,
          category: question.category,
          index: qi,
          variant: unit.variant.id,
          method: unit.variant.method,
          params: unit.variant.params,
          maxNewTokens: maxNew,
          ...(sampling ? { sampling } : {}),
          ...(lane.draftModel ? { draftModel: lane.draftModel } : {}),
          drafter: { warm: requestsBefore > 0, requestsBefore, warmupRuns: lane.warmupRuns, warmupProtocol: config.warmupProtocol },
          status: outcome.status,
          ...(outcome.skipReason ? { skipReason: outcome.skipReason } : {}),
          turns: outcome.turns,
          newTokens: outcome.turns.reduce((s, t) => s + t.tokens.length, 0),
          steps: outcome.turns.reduce((s, t) => s + t.steps, 0),
          ...questionSteps(outcome.stepsOf),
          wallMs: outcome.turns.reduce((s, t) => s + t.timing.totalMs, 0),
          cpuMs: outcome.turns.reduce((s, t) => s + (t.timing.cpuMs ?? 0), 0),
          lossless,
          finishedAt: new Date().toISOString(),
        };
        log.append(record);
        lane.records.push(record);
        if (unit.variant.method === 'ar') references.set(recordKey({ ...base, variant: '' }), record);
        progress.advance({ variant: unit.variant.id, tokens: record.newTokens, ms });
        options.afterRecord?.(record);
      }
      await yieldToEventLoop(options.signal);
    }
    for (const lane of lanes.values()) {
      progress.line(unitLine(indexOf(lane.unit), total, lane.unit, lane.records, lane.ms / 1000));
    }
  } finally {
    // Drafters that own native resources (a draft model) release them with the block.
    for (const lane of lanes.values()) lane.drafter.dispose?.();
  }
}
