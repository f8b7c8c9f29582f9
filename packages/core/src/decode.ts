import { CommitTrace, type CommitTraceData } from './commit-trace.ts';
import { Draft } from './draft.ts';
import type { Drafter } from './drafter.ts';
import { TrbenchError } from './errors.ts';
import { TokenHistory } from './history.ts';
import { Pacer, throwIfInterrupted } from './interrupt.ts';
import { meanAcceptedTokens, StepLog, sum } from './metrics.ts';
import type { TargetModel } from './model.ts';
import { Predictions } from './predictions.ts';
import { type SamplingOptions, validateSampling } from './sampling.ts';
import { GreedyVerifier, SpeculativeSamplingVerifier, type Verifier } from './verifier.ts';
import { Acceptance } from './verify.ts';

export interface DecodeOptions {
  /** Stop after this many new tokens (>= 1). Steps that would pass it are truncated exactly. */
  maxNewTokens: number;
  /** Stop when an end-of-generation token is produced (default true). */
  stopAtEndOfGeneration?: boolean;
  /** Sampling; absent or temperature 0 = greedy. The seed makes this request reproducible on its own. */
  sampling?: SamplingOptions;
  /** Overrides the verifier (tests use it to plug in deliberately wrong rules as negative controls). */
  verifier?: Verifier;
  /**
   * Called after every step's verification and commit with that step's draft, predictions and acceptance
   * (`trbench generate --trace` writes them). The objects are the loop's own buffers, valid only during the
   * call. Absent = one null check per step, nothing else.
   */
  onStep?: (step: StepView) => void;
}

/** One verified step, as {@link DecodeOptions.onStep} sees it (the loop's buffers: read them during the call). */
export interface StepView {
  /** 0-based step of the request. */
  index: number;
  /** The fed tokens in tree order: node 0 is the root (the last committed token), parents before children. */
  draft: Draft;
  /** Row i: the target's prediction after node i (argmax and top-k). */
  predictions: Predictions;
  /** The accepted path (node indices, root first) and the bonus token. */
  acceptance: Acceptance;
  /** Tokens this step committed (accepted drafts + bonus, cut at the stop). */
  committed: number;
  /** `drafter.lastDraftSource` after this step's `propose` (absent when the drafter does not set it). */
  source: string | undefined;
}

/** {@link DecodeLoop.generateAsync}'s options: the request's, plus how it shares the event loop. */
export interface AsyncDecodeOptions extends DecodeOptions {
  /** Stops the request at its next step with InterruptedError. */
  signal?: AbortSignal;
  /** Longest stretch of steps without handing the event loop a turn (default 50 ms). */
  yieldEveryMs?: number;
}

/** Registers of the request in flight. */
interface RequestState {
  maxNew: number;
  stopAtEog: boolean;
  verifier: Verifier;
  t0: number;
  tPrefill: number;
  /** The next step's root: the last committed token, its KV not cached yet. */
  root: number;
  produced: number;
  stopReason: StopReason;
  onStep: ((step: StepView) => void) | undefined;
}

export type StopReason = 'eos' | 'length' | 'context';

/** One finished request. Token counting is the same for every method: ids committed by the loop. */
export interface GenerationResult {
  /** Generated token ids; the end-of-generation token is included when one stopped the request. */
  tokens: Int32Array;
  stopReason: StopReason;
  /** Forward passes after prefill. */
  steps: number;
  /** Tokens committed per step (accepted drafts + bonus); sums to `tokens.length`. */
  acceptLengths: Int32Array;
  /**
   * Draft tokens the verifier accepted per step (bonus excluded); length `steps`. Equals `acceptLengths − 1`
   * except on a final step whose stop (end of generation, the length limit) fell inside the accepted drafts.
   */
  acceptedPerStep: Int32Array;
  /**
   * Steps per `drafter.lastDraftSource` label (a drafter combining several draft sources sets it in every
   * `propose`); absent when the drafter never set it.
   */
  draftSources?: Record<string, number>;
  /** Draft size (nodes, root included) per step. */
  draftNodes: Int32Array;
  /** Mean accepted tokens per step (MAT). */
  meanAcceptedTokens: number;
  /** The target's top-2 at each committed position (diagnoses a divergence from plain decoding). */
  trace: CommitTraceData;
  timing: {
    prefillMs: number;
    draftMs: number;
    forwardMs: number;
    /** The verifier: matching the draft against the predictions (greedy) or the sampling rule. */
    verifyMs: number;
    updateMs: number;
    /** KV pruning (commit) and the loop's bookkeeping. */
    otherMs: number;
    /** Wall time of the whole request: prefill and every step. */
    totalMs: number;
  };
}

/**
 * The one decode loop every method runs through. Reusable across requests: buffers are sized once for
 * the model and drafter and nothing is allocated per step.
 */
export class DecodeLoop {
  readonly model: TargetModel;
  readonly drafter: Drafter;
  private readonly draft: Draft;
  private readonly predictions: Predictions;
  private readonly acceptance: Acceptance;
  private readonly history = new TokenHistory();
  private readonly log = new StepLog();
  private readonly trace = new CommitTrace();
  /** Steps per draft source label of the request in flight (labels are few: set() on a known key allocates nothing). */
  private readonly sources = new Map<string, number>();
  private readonly stepView: StepView;
  private promptPredictions: Predictions | null = null;
  private readonly greedy = new GreedyVerifier();
  private sampler: SpeculativeSamplingVerifier | null = null;
  private samplerKey = '';
  /** The request in flight: what {@link begin} sets up and each {@link step} advances. */
  private readonly run: RequestState;

  constructor(model: TargetModel, drafter: Drafter) {
    if (drafter.maxDraftNodes > model.maxDraftNodes) {
      throw new TrbenchError(
        `drafter ${drafter.name} proposes up to ${drafter.maxDraftNodes} nodes but the model was opened for ${model.maxDraftNodes}`,
      );
    }
    if (drafter.topK > model.topK) {
      throw new TrbenchError(`drafter ${drafter.name} needs top-${drafter.topK} but the model was opened with top-${model.topK}`);
    }
    this.model = model;
    this.drafter = drafter;
    this.draft = new Draft(drafter.maxDraftNodes);
    this.predictions = new Predictions(drafter.maxDraftNodes, model.topK);
    this.acceptance = new Acceptance(drafter.maxDraftNodes);
    this.run = {
      maxNew: 0,
      stopAtEog: true,
      verifier: this.greedy,
      t0: 0,
      tPrefill: 0,
      root: 0,
      produced: 0,
      stopReason: 'length',
      onStep: undefined,
    };
    this.stepView = {
      index: 0,
      draft: this.draft,
      predictions: this.predictions,
      acceptance: this.acceptance,
      committed: 0,
      source: undefined,
    };
  }

  private verifierFor(sampling: SamplingOptions | undefined): Verifier {
    if (!sampling || sampling.temperature === 0) return this.greedy;
    validateSampling(sampling);
    const key = `${sampling.temperature}/${sampling.topK}/${sampling.topP}`;
    if (!this.sampler || this.samplerKey !== key) {
      this.sampler = new SpeculativeSamplingVerifier(this.model.info.vocabSize, sampling);
      this.samplerKey = key;
    }
    return this.sampler;
  }

  /** Generates a continuation of `prompt` (token ids, BOS included if the model wants one). */
  generate(prompt: Int32Array, options: DecodeOptions): GenerationResult {
    this.begin(prompt, options);
    while (!this.step()) {}
    return this.finish(0);
  }

  /**
   * {@link generate} for async callers: the same steps, but between two forwards it hands the event loop a
   * turn whenever `yieldEveryMs` passed since the last one (signal handlers and progress redraws run), and
   * throws {@link InterruptedError} at the next step once `signal` is aborted. Time spent away is left out
   * of `timing.totalMs`, so both variants measure the same work.
   */
  async generateAsync(prompt: Int32Array, options: AsyncDecodeOptions): Promise<GenerationResult> {
    throwIfInterrupted(options.signal);
    const pacer = new Pacer(options.signal, options.yieldEveryMs);
    this.begin(prompt, options);
    while (!this.step()) {
      if (pacer.due()) await pacer.pause();
    }
    return this.finish(pacer.pausedMs);
  }

  /** Validates the request, prefills the prompt and starts the drafter's request. */
  private begin(prompt: Int32Array, options: DecodeOptions): void {
    const { model, drafter, history, log } = this;
    const maxNew = options.maxNewTokens;
    if (!Number.isInteger(maxNew) || maxNew < 1) throw new TrbenchError(`max new tokens must be an integer >= 1, got ${maxNew}`);
    if (prompt.length < 1) throw new TrbenchError('the prompt has no tokens (a model without BOS needs a non-empty prompt)');
    const contextSize = model.info.contextSize;
    if (prompt.length > contextSize) {
      throw new TrbenchError(`the prompt has ${prompt.length} tokens but the context holds ${contextSize}`);
    }
    const run = this.run;
    run.maxNew = maxNew;
    run.stopAtEog = options.stopAtEndOfGeneration ?? true;
    run.verifier = options.verifier ?? this.verifierFor(options.sampling);
    run.verifier.begin(options.sampling?.seed ?? 0);
    run.onStep = options.onStep;
    this.sources.clear();
    run.t0 = performance.now();

    history.begin(prompt, maxNew);
    log.clear();
    log.reserve(maxNew);
    this.trace.begin(maxNew);
    model.reset();
    let promptPredictions: Predictions | null = null;
    if (drafter.wantsPromptPredictions) {
      if (!this.promptPredictions || this.promptPredictions.capacity < prompt.length) {
        this.promptPredictions = new Predictions(Math.max(prompt.length, 64), model.topK);
      }
      promptPredictions = this.promptPredictions;
      promptPredictions.count = 0;
    }
    // The last prompt token is the first root: its KV is computed by the first step, as in the TR
    // reference. Prediction row i (cold-start seeding) follows prompt token i, for all but the last.
    if (prompt.length > 1) model.prefill(prompt.subarray(0, prompt.length - 1), promptPredictions);
    const sampling = options.sampling && options.sampling.temperature > 0 ? options.sampling : null;
    drafter.beginRequest(history, promptPredictions, sampling, { maxNewTokens: maxNew, contextSize });
    run.tPrefill = performance.now();

    run.root = prompt[prompt.length - 1];
    run.produced = 0;
    run.stopReason = 'length';
  }

  /** One draft-verify-commit step; true when the request is finished (then call {@link finish}). */
  private step(): boolean {
    const { model, drafter, draft, predictions, acceptance, history, log, run } = this;
    const { verifier, stopAtEog, maxNew } = run;
    const contextSize = model.info.contextSize;
    let { produced, stopReason } = run;
    const committed = model.committedLength;
    if (committed >= contextSize) {
      run.stopReason = 'context';
      return true;
    }
    const tStep = performance.now();
    draft.reset(run.root);
    drafter.propose(history, draft);
    const source = drafter.lastDraftSource;
    if (source !== undefined) this.sources.set(source, (this.sources.get(source) ?? 0) + 1);
    if (committed + draft.maxDepth >= contextSize) draft.truncateToDepth(contextSize - 1 - committed);
    const tDrafted = performance.now();
    model.evaluate(draft, predictions);
    const tEvaluated = performance.now();
    verifier.verify(draft, predictions, model, acceptance);
    const tVerified = performance.now();
    model.commit(acceptance.path, acceptance.length);

    // Commit accepted drafts (path[1..]) then the bonus token, stopping exactly at the limits.
    let committedThisStep = 0;
    let finished = false;
    let stoppedInDrafts = false;
    for (let j = 1; j <= acceptance.length && !finished; j++) {
      const token = j < acceptance.length ? draft.tokens[acceptance.path[j]] : acceptance.bonusToken;
      history.push(token);
      this.trace.record(predictions, acceptance.path[j - 1]);
      produced++;
      committedThisStep++;
      if (stopAtEog && model.isEndOfGeneration(token)) {
        stopReason = 'eos';
        finished = true;
      } else if (produced >= maxNew) {
        stopReason = 'length';
        finished = true;
      }
      if (finished && j < acceptance.length) stoppedInDrafts = true;
    }
    const s = log.steps++;
    log.acceptLengths[s] = committedThisStep;
    log.acceptedDrafts[s] = acceptance.length - 1;
    log.draftNodes[s] = draft.count;
    log.draftMs[s] = tDrafted - tStep;
    log.forwardMs[s] = tEvaluated - tDrafted;
    log.verifyMs[s] = tVerified - tEvaluated;
    if (run.onStep) {
      const view = this.stepView;
      view.index = s;
      view.committed = committedThisStep;
      view.source = source;
      run.onStep(view);
    }
    // The TR reference breaks before its update when the stop (EOS or the length limit) falls inside
    // the accepted drafts, and updates first when the request ends at the bonus token.
    const tBeforeUpdate = performance.now();
    if (!stoppedInDrafts || drafter.observesStopInDrafts) drafter.observe(draft, predictions, acceptance, history);
    const tUpdated = performance.now();
    log.updateMs[s] = tUpdated - tBeforeUpdate;
    log.otherMs[s] = tBeforeUpdate - tVerified;
    run.produced = produced;
    run.stopReason = stopReason;
    if (finished) return true;
    run.root = acceptance.bonusToken;
    return false;
  }

  /** Ends the drafter's request and collects the result; `pausedMs` (time yielded away) is not counted. */
  private finish(pausedMs: number): GenerationResult {
    const { drafter, history, log, run } = this;
    const { t0, tPrefill, stopReason } = run;
    drafter.endRequest(history);
    const tEnd = performance.now();

    const steps = log.steps;
    const acceptLengths = log.acceptLengths.slice(0, steps);
    return {
      tokens: history.generated().slice(),
      stopReason,
      steps,
      acceptLengths,
      acceptedPerStep: log.acceptedDrafts.slice(0, steps),
      ...(this.sources.size > 0 ? { draftSources: Object.fromEntries(this.sources) } : {}),
      draftNodes: log.draftNodes.slice(0, steps),
      meanAcceptedTokens: meanAcceptedTokens(acceptLengths),
      trace: this.trace.snapshot(),
      timing: {
        prefillMs: tPrefill - t0,
        draftMs: sum(log.draftMs.subarray(0, steps)),
        forwardMs: sum(log.forwardMs.subarray(0, steps)),
        verifyMs: sum(log.verifyMs.subarray(0, steps)),
        updateMs: sum(log.updateMs.subarray(0, steps)),
        otherMs: sum(log.otherMs.subarray(0, steps)),
        totalMs: tEnd - t0 - pausedMs,
      },
    };
  }
}
