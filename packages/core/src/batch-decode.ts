import { type BatchBudget, BatchBudgetAllocator } from './batch-budget.ts';
import type { BatchTargetModel } from './batch-model.ts';
import { CommitTrace } from './commit-trace.ts';
import type { GenerationResult, StopReason } from './decode.ts';
import { Draft } from './draft.ts';
import type { Drafter } from './drafter.ts';
import { TrbenchError } from './errors.ts';
import { TokenHistory } from './history.ts';
import { Pacer, throwIfInterrupted } from './interrupt.ts';
import { meanAcceptedTokens, StepLog, sum } from './metrics.ts';
import { Predictions } from './predictions.ts';
import { Acceptance, verifyGreedy } from './verify.ts';

/**
 * The drafters of a batched run, one per slot, and how the method keeps its state under batching:
 * - `per-request`: the method keeps per-request state, so every slot has its own instance (all distinct);
 *   an instance serves the requests that pass through its slot, in order.
 * - `shared`: the method keeps global state (TR's matrix, a suffix tree of earlier outputs) that every
 *   request reads and updates: the slots hold one instance, or instances that share that state. Within a
 *   forward, every slot proposes first (slot order), then each slot's update is applied in slot order, so
 *   a run is deterministic.
 */
export interface SlotDrafters {
  readonly sharing: 'per-request' | 'shared';
  readonly drafters: readonly Drafter[];
}

/** One request of a batched run. */
export interface BatchRequest {
  /** Token ids, BOS included if the model wants one. */
  prompt: Int32Array;
  /** Stop after this many new tokens (>= 1). */
  maxNewTokens: number;
}

export interface BatchDecodeOptions {
  /** Stop a request when it produces an end-of-generation token (default true). */
  stopAtEndOfGeneration?: boolean;
  /** How the nodes of a forward are shared (default: per request, as at batch 1). */
  budget?: BatchBudget;
  /** Stops the run at its next forward with InterruptedError (async runs). */
  signal?: AbortSignal;
  /** Longest stretch without handing the event loop a turn (async runs; default 50 ms). */
  yieldEveryMs?: number;
  /** Called as each request finishes (in finishing order). */
  onResult?: (result: BatchGenerationResult) => void;
}

/**
 * One finished request of a batched run. Token counting, MAT and trace are as at batch 1; the timing is the
 * request's share: its own prefill, drafting, verification and update, the whole time of every forward it
 * took part in (shared with the other requests of that forward), and `totalMs` from entering its slot to
 * its last token (its latency once admitted).
 */
export interface BatchGenerationResult extends GenerationResult {
  /** Index of the request in the run's list. */
  request: number;
  /** Slot it ran in. */
  slot: number;
  /** The run's batch size (slots). */
  batch: number;
  /** From the start of the run until it entered its slot (waiting in the queue), ms. */
  queuedMs: number;
  /** Mean requests in flight over the forwards it took part in. */
  meanActive: number;
}

/** What a batched run measured as a whole. */
export interface BatchRunResult {
  /** In request order. */
  results: BatchGenerationResult[];
  batch: number;
  /** Steps of the batch: each drafts for every request in flight and verifies all of their drafts. */
  rounds: number;
  /**
   * Model forwards after prefill: one per round, unless the backend could not hold a round's drafts in one
   * forward and split it by slots (`BatchTargetModel.fitsUpTo`).
   */
  forwards: number;
  /** Tokens committed over all requests. */
  tokens: number;
  /** Nodes evaluated per round (all slots, roots included), mean. */
  meanNodesPerForward: number;
  /** Requests in flight per round, mean. */
  meanActivePerForward: number;
  /** Drafts the budget dropped (the request decoded one token instead). */
  droppedDrafts: number;
  timing: {
    /** Whole run: every prefill and forward, drafting, verification and updates. */
    totalMs: number;
    prefillMs: number;
    forwardMs: number;
  };
}

/** Registers of one slot: its request, drafter, draft and buffers (allocated once, reused per request). */
interface Slot {
  readonly index: number;
  readonly drafter: Drafter;
  readonly draft: Draft;
  readonly predictions: Predictions;
  readonly acceptance: Acceptance;
  readonly history: TokenHistory;
  readonly log: StepLog;
  readonly trace: CommitTrace;
  promptPredictions: Predictions | null;
  /** Request in the slot, -1 = idle. */
  request: number;
  maxNew: number;
  root: number;
  produced: number;
  stopReason: StopReason;
  tAdmit: number;
  prefillMs: number;
  queuedMs: number;
  activeSum: number;
}

/**
 * Decodes many requests with up to `model.slots` in flight (continuous batching: when a request finishes,
 * the next one in the list takes its slot, prefilled between two forwards). Each forward verifies the
 * drafts of every active slot at once; commit, history, trace and drafter update stay per request, so every
 * request's tokens are those of plain greedy decoding on its own. Greedy only. Plain decoding at batch B
 * (the baseline) is this loop with {@link AutoregressiveDrafter}s: B tokens per forward.
 */
export class BatchDecodeLoop {
  readonly model: BatchTargetModel;
  readonly drafters: SlotDrafters;
  private readonly slots: Slot[];
  private readonly drafts: (Draft | null)[];
  private readonly groupDrafts: (Draft | null)[];
  private readonly outs: Predictions[];

  constructor(model: BatchTargetModel, drafters: SlotDrafters) {
    const B = model.slots;
    const list = drafters.drafters;
    if (list.length !== B) throw new TrbenchError(`the batch has ${B} slots but ${list.length} drafters were given`);
    if (drafters.sharing === 'per-request' && new Set(list).size !== list.length)
      throw new TrbenchError(`drafter ${list[0].name} keeps per-request state: every slot needs its own instance`);
    for (const d of list) {
      if (d.maxDraftNodes > model.maxDraftNodes)
        throw new TrbenchError(
          `drafter ${d.name} proposes up to ${d.maxDraftNodes} nodes but the batch model was opened for ${model.maxDraftNodes}`,
        );
      if (d.topK > model.topK)
        throw new TrbenchError(`drafter ${d.name} needs top-${d.topK} but the batch model was opened with top-${model.topK}`);
    }
    this.model = model;
    this.drafters = drafters;
    this.slots = list.map((drafter, index) => ({
      index,
      drafter,
      draft: new Draft(drafter.maxDraftNodes),
      predictions: new Predictions(drafter.maxDraftNodes, model.topK),
      acceptance: new Acceptance(drafter.maxDraftNodes),
      history: new TokenHistory(),
      log: new StepLog(),
      trace: new CommitTrace(),
      promptPredictions: null,
      request: -1,
      maxNew: 0,
      root: 0,
      produced: 0,
      stopReason: 'length',
      tAdmit: 0,
      prefillMs: 0,
      queuedMs: 0,
      activeSum: 0,
    }));
    this.drafts = this.slots.map(() => null);
    this.groupDrafts = this.slots.map(() => null);
    this.outs = this.slots.map((s) => s.predictions);
  }

  /** Decodes every request (greedy), synchronously. */
  run(requests: readonly BatchRequest[], options: BatchDecodeOptions = {}): BatchRunResult {
    const state = this.begin(requests, options);
    while (this.forward(state)) {}
    return this.end(state);
  }

  /** {@link run} for async callers: the same forwards, with turns for the event loop and a stop signal. */
  async runAsync(requests: readonly BatchRequest[], options: BatchDecodeOptions = {}): Promise<BatchRunResult> {
    throwIfInterrupted(options.signal);
    const pacer = new Pacer(options.signal, options.yieldEveryMs);
    const state = this.begin(requests, options);
    while (this.forward(state)) {
      if (pacer.due()) {
        const t = performance.now();
        await pacer.pause();
        state.pausedMs += performance.now() - t;
      }
    }
    return this.end(state);
  }

  private begin(requests: readonly BatchRequest[], options: BatchDecodeOptions): RunState {
    const contextSize = this.model.info.contextSize;
    requests.forEach((r, i) => {
      const maxNew = r.maxNewTokens;
      if (!Number.isInteger(maxNew) || maxNew < 1)
        throw new TrbenchError(`request ${i}: max new tokens must be an integer >= 1, got ${maxNew}`);
      if (r.prompt.length < 1) throw new TrbenchError(`request ${i}: the prompt has no tokens`);
      if (r.prompt.length > contextSize)
        throw new TrbenchError(`request ${i}: the prompt has ${r.prompt.length} tokens but the context holds ${contextSize}`);
    });
    const budget = options.budget ?? { policy: 'per-request' };
    const state: RunState = {
      requests,
      stopAtEog: options.stopAtEndOfGeneration ?? true,
      allocator: new BatchBudgetAllocator(budget, this.slots.length),
      onResult: options.onResult,
      next: 0,
      results: new Array(requests.length),
      t0: performance.now(),
      pausedMs: 0,
      forwards: 0,
      rounds: 0,
      nodes: 0,
      activeSum: 0,
      dropped: 0,
      prefillMs: 0,
      forwardMs: 0,
    };
    for (const slot of this.slots) {
      slot.request = -1;
      this.admit(state, slot);
    }
    return state;
  }

  /** Puts the next queued request into `slot` (prefill + the drafter's beginRequest), or leaves it idle. */
  private admit(state: RunState, slot: Slot): void {
    const { model } = this;
    if (state.next >= state.requests.length) {
      slot.request = -1;
      return;
    }
    const index = state.next++;
    const { prompt, maxNewTokens } = state.requests[index];
    const tAdmit = performance.now();
    slot.request = index;
    slot.maxNew = maxNewTokens;
    slot.tAdmit = tAdmit;
    slot.queuedMs = tAdmit - state.t0 - state.pausedMs;
    slot.activeSum = 0;
    slot.history.begin(prompt, maxNewTokens);
    slot.log.clear();
    slot.log.reserve(maxNewTokens);
    slot.trace.begin(maxNewTokens);
    model.resetSlot(slot.index);
    let promptPredictions: Predictions | null = null;
    if (slot.drafter.wantsPromptPredictions) {
      if (!slot.promptPredictions || slot.promptPredictions.capacity < prompt.length)
        slot.promptPredictions = new Predictions(Math.max(prompt.length, 64), model.topK);
      promptPredictions = slot.promptPredictions;
      promptPredictions.count = 0;
    }
    // As at batch 1: the last prompt token is the first root, its KV computed by the first forward.
    if (prompt.length > 1) model.prefillSlot(slot.index, prompt.subarray(0, prompt.length - 1), promptPredictions);
    slot.drafter.beginRequest(slot.history, promptPredictions, null, { maxNewTokens, contextSize: model.info.contextSize });
    state.allocator.beginSlot(slot.index);
    slot.root = prompt[prompt.length - 1];
    slot.produced = 0;
    slot.stopReason = 'length';
    slot.prefillMs = performance.now() - tAdmit;
    state.prefillMs += slot.prefillMs;
  }

  /** One forward over every active slot; false once no request is left. */
  private forward(state: RunState): boolean {
    const { model, slots, drafts, outs } = this;
    const contextSize = model.info.contextSize;
    let active = 0;
    // Requests whose context is full stop before drafting (as at batch 1).
    for (const slot of slots) {
      if (slot.request < 0) continue;
      if (model.committedLength(slot.index) >= contextSize) {
        slot.stopReason = 'context';
        this.finishSlot(state, slot);
        this.admit(state, slot);
      }
    }
    for (const slot of slots) {
      drafts[slot.index] = null;
      if (slot.request < 0) continue;
      active++;
      const t = performance.now();
      const { draft } = slot;
      draft.reset(slot.root);
      slot.drafter.propose(slot.history, draft);
      const committed = model.committedLength(slot.index);
      if (committed + draft.maxDepth >= contextSize) draft.truncateToDepth(contextSize - 1 - committed);
      drafts[slot.index] = draft;
      slot.log.draftMs[slot.log.steps] = performance.now() - t;
    }
    if (active === 0) return false;
    const allocator = state.allocator;
    allocator.apply(drafts);
    state.rounds++;
    state.nodes += allocator.lastNodes;
    state.activeSum += active;
    state.dropped += allocator.lastDropped;
    // One forward for all slots, or, where the backend cannot hold them in one, one per group of slots in
    // slot order (each group committed before the next is evaluated; no drafter sees a group's outcome
    // before every draft of this round was proposed).
    const B = slots.length;
    const group = this.groupDrafts;
    for (let from = 0; from < B; ) {
      const end = model.fitsUpTo ? model.fitsUpTo(drafts, from) : B;
      if (!(end > from && end <= B)) throw new Error(`fitsUpTo(${from}) returned ${end}`);
      for (let s = 0; s < B; s++) group[s] = s >= from && s < end ? drafts[s] : null;
      const tForward = performance.now();
      model.evaluateBatch(group, outs);
      const forwardMs = performance.now() - tForward;
      state.forwards++;
      state.forwardMs += forwardMs;
      for (let s = from; s < end; s++) if (group[s] !== null) this.commitSlot(state, slots[s], forwardMs, active);
      from = end;
    }
    // Finished requests hand their slot to the next ones only now: no prefill runs while drafts of this
    // forward are still uncommitted.
    for (const slot of slots) if (slot.request < 0) this.admit(state, slot);
    return true;
  }

  /** Verifies, commits and updates one slot after the forward; admits the next request if it finished. */
  private commitSlot(state: RunState, slot: Slot, forwardMs: number, active: number): void {
    const { model } = this;
    const { draft, predictions, acceptance, history, log, drafter } = slot;
    const t0 = performance.now();
    verifyGreedy(draft, predictions, acceptance);
    const tVerified = performance.now();
    model.commitSlot(slot.index, acceptance.path, acceptance.length);
    let committedThisStep = 0;
    let finished = false;
    let stoppedInDrafts = false;
    let produced = slot.produced;
    let stopReason = slot.stopReason;
    for (let j = 1; j <= acceptance.length && !finished; j++) {
      const token = j < acceptance.length ? draft.tokens[acceptance.path[j]] : acceptance.bonusToken;
      history.push(token);
      slot.trace.record(predictions, acceptance.path[j - 1]);
      produced++;
      committedThisStep++;
      if (state.stopAtEog && model.isEndOfGeneration(token)) {
        stopReason = 'eos';
        finished = true;
      } else if (produced >= slot.maxNew) {
        stopReason = 'length';
        finished = true;
      }
      if (finished && j < acceptance.length) stoppedInDrafts = true;
    }
    state.allocator.observe(slot.index, draft.count, acceptance.length - 1);
    const s = log.steps++;
    log.acceptLengths[s] = committedThisStep;
    log.acceptedDrafts[s] = acceptance.length - 1;
    log.draftNodes[s] = draft.count;
    log.forwardMs[s] = forwardMs;
    log.verifyMs[s] = tVerified - t0;
    slot.activeSum += active;
    const tBeforeUpdate = performance.now();
    // The batch-1 rule: no update when the stop falls inside the accepted drafts (unless the drafter asks).
    if (!stoppedInDrafts || drafter.observesStopInDrafts) drafter.observe(draft, predictions, acceptance, history);
    const tUpdated = performance.now();
    log.updateMs[s] = tUpdated - tBeforeUpdate;
    log.otherMs[s] = tBeforeUpdate - tVerified;
    slot.produced = produced;
    slot.stopReason = stopReason;
    if (finished) this.finishSlot(state, slot);
    else slot.root = acceptance.bonusToken;
  }

  private finishSlot(state: RunState, slot: Slot): void {
    const { history, log, drafter } = slot;
    drafter.endRequest(history);
    const tEnd = performance.now();
    const steps = log.steps;
    const acceptLengths = log.acceptLengths.slice(0, steps);
    const result: BatchGenerationResult = {
      tokens: history.generated().slice(),
      stopReason: slot.stopReason,
      steps,
      acceptLengths,
      acceptedPerStep: log.acceptedDrafts.slice(0, steps),
      draftNodes: log.draftNodes.slice(0, steps),
      meanAcceptedTokens: meanAcceptedTokens(acceptLengths),
      trace: slot.trace.snapshot(),
      timing: {
        prefillMs: slot.prefillMs,
        draftMs: sum(log.draftMs.subarray(0, steps)),
        forwardMs: sum(log.forwardMs.subarray(0, steps)),
        verifyMs: sum(log.verifyMs.subarray(0, steps)),
        updateMs: sum(log.updateMs.subarray(0, steps)),
        otherMs: sum(log.otherMs.subarray(0, steps)),
        // Async runs pause only between forwards; a request's latency keeps them out as the run's total does.
        totalMs: tEnd - slot.tAdmit,
      },
      request: slot.request,
      slot: slot.index,
      batch: this.slots.length,
      queuedMs: slot.queuedMs,
      meanActive: steps === 0 ? 0 : slot.activeSum / steps,
    };
    state.results[slot.request] = result;
    state.onResult?.(result);
    slot.request = -1;
  }

  private end(state: RunState): BatchRunResult {
    const tEnd = performance.now();
    let tokens = 0;
    for (const r of state.results) tokens += r.tokens.length;
    const f = state.forwards;
    return {
      results: state.results,
      batch: this.slots.length,
      forwards: f,
      tokens,
      rounds: state.rounds,
      meanNodesPerForward: state.rounds === 0 ? 0 : state.nodes / state.rounds,
      meanActivePerForward: state.rounds === 0 ? 0 : state.activeSum / state.rounds,
      droppedDrafts: state.dropped,
      timing: { totalMs: tEnd - state.t0 - state.pausedMs, prefillMs: state.prefillMs, forwardMs: state.forwardMs },
    };
  }
}

interface RunState {
  readonly requests: readonly BatchRequest[];
  readonly stopAtEog: boolean;
  readonly allocator: BatchBudgetAllocator;
  readonly onResult?: (result: BatchGenerationResult) => void;
  /** Next request to admit. */
  next: number;
  readonly results: BatchGenerationResult[];
  readonly t0: number;
  pausedMs: number;
  forwards: number;
  rounds: number;
  nodes: number;
  activeSum: number;
  dropped: number;
  prefillMs: number;
  forwardMs: number;
}
