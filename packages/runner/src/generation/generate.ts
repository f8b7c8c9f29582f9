import {
  AutoregressiveDrafter,
  DecodeLoop,
  type Drafter,
  describeInterruption,
  type GenerationResult,
  type SamplingOptions,
  type TargetModel,
  TrbenchError,
} from '@trbench/core';
import { captureEnvironment, type Environment } from '../env/environment.ts';
import { type DiagnosedDivergence, type DivergenceSide, diagnoseDivergence, firstDifference } from './lossless.ts';
import type { StepTraceWriter } from './step-trace.ts';

export { firstDifference };

/** The JSON `trbench generate --json` prints. */
export interface GenerateReport {
  method: string;
  params: Readonly<Record<string, unknown>>;
  model: { name: string; sha256: string; path: string; stopTokens: number[] };
  backend: { name: string; version: string; device: string; threads: number };
  prompt: string;
  /** Absent for greedy decoding. */
  sampling?: SamplingOptions;
  promptTokens: number;
  /** The ids the model saw, BOS included: replay the run through another implementation with these. */
  promptTokenIds: number[];
  tokens: number[];
  text: string;
  newTokens: number;
  stopReason: GenerationResult['stopReason'];
  steps: number;
  /** Draft tokens the verifier accepted at each step (bonus excluded); its length is `steps`. */
  acceptedPerStep: number[];
  /** Steps per `Drafter.lastDraftSource` label; only for a drafter that names its draft sources. */
  draftSources?: Record<string, number>;
  meanAcceptedTokens: number;
  wallMs: number;
  timing: GenerationResult['timing'];
  losslessIdentical?: boolean;
  /** Index of the first token that differs from plain decoding (only when not identical). */
  firstDivergence?: number;
  /**
   * Its diagnosis (only when not identical): `numeric` = a floating-point tie flip between the model's
   * evaluations, `logic` = the method committed a token the model did not predict (a bug). Each side is
   * the token that run committed, its logit and the runner-up of that run's top-2 there.
   */
  divergence?: {
    position: number;
    kind: DiagnosedDivergence['kind'];
    delta: number | null;
    decidedBy: DiagnosedDivergence['decidedBy'];
    reason: string;
    plain: DivergenceSide | null;
    method: DivergenceSide | null;
  };
  arTokens?: number[];
  environment: Environment;
}

export interface GenerateRequest {
  model: TargetModel;
  drafter: Drafter;
  prompt: string;
  maxNewTokens: number;
  checkLossless: boolean;
  sampling?: SamplingOptions;
  /** Stops decoding at its next step (InterruptedError). */
  signal?: AbortSignal;
  /** `--trace`: every step of the method's run, one JSON line each (written when the run is done). */
  trace?: StepTraceWriter;
}

/** Runs one prompt through the decode loop (and plain decoding when checking losslessness). */
export async function runGenerate(req: GenerateRequest): Promise<GenerateReport> {
  const { model, drafter } = req;
  const sampled = req.sampling !== undefined && req.sampling.temperature > 0;
  if (sampled && req.checkLossless) {
    throw new TrbenchError(
      '--check-lossless compares token ids with plain decoding and needs temperature 0 (sampled runs are lossless in distribution; see the sampling tests)',
    );
  }
  const promptIds = model.tokenize(req.prompt, true);
  const result = await describeInterruption('generating', 'nothing was written', () =>
    new DecodeLoop(model, drafter).generateAsync(promptIds, {
      maxNewTokens: req.maxNewTokens,
      sampling: req.sampling,
      signal: req.signal,
      onStep: req.trace?.onStep,
    }),
  );
  req.trace?.write();
  const report: GenerateReport = {
    method: drafter.name,
    params: drafter.params,
    model: { name: model.info.name, sha256: model.info.sha256, path: model.info.path, stopTokens: [...model.info.stopTokens] },
    backend: { ...model.backend },
    prompt: req.prompt,
    ...(sampled ? { sampling: req.sampling } : {}),
    promptTokens: promptIds.length,
    promptTokenIds: Array.from(promptIds),
    tokens: Array.from(result.tokens),
    text: model.detokenize(result.tokens),
    newTokens: result.tokens.length,
    stopReason: result.stopReason,
    steps: result.steps,
    acceptedPerStep: Array.from(result.acceptedPerStep),
    ...(result.draftSources ? { draftSources: result.draftSources } : {}),
    meanAcceptedTokens: result.meanAcceptedTokens,
    wallMs: result.timing.totalMs,
    timing: result.timing,
    environment: captureEnvironment(),
  };
  if (req.checkLossless) {
    const plain = await describeInterruption('running plain decoding for --check-lossless', 'nothing was written', () =>
      new DecodeLoop(model, new AutoregressiveDrafter()).generateAsync(promptIds, { maxNewTokens: req.maxNewTokens, signal: req.signal }),
    );
    const diff = firstDifference(result.tokens, plain.tokens);
    report.losslessIdentical = diff < 0;
    if (diff >= 0) {
      report.firstDivergence = diff;
      const d = diagnoseDivergence(
        model,
        { turn: 1, index: diff },
        { turns: [plain], evidence: [{ prompt: promptIds, trace: plain.trace }] },
        { turns: [result], evidence: [{ prompt: promptIds, trace: result.trace }] },
      );
      report.divergence = {
        position: diff,
        kind: d.kind,
        delta: d.delta,
        decidedBy: d.decidedBy,
        reason: d.reason,
        plain: d.plain,
        method: d.method,
      };
      report.arTokens = Array.from(plain.tokens);
    }
  }
  return report;
}

/**
 * The text `trbench generate` prints: on a colour terminal the prompt (dimmed) followed by the
 * continuation, so the reader sees where the prompt ends; otherwise (a pipe, a file, NO_COLOR) the
 * continuation alone, which is what scripts consume.
 */
export function renderGenerateText(prompt: string, continuation: string, color: boolean): string {
  return color && prompt.length > 0 ? `\x1b[2m${prompt}\x1b[22m${continuation}\n` : `${continuation}\n`;
}

/** Whether a stream is a terminal that takes colour (https://no-color.org). */
export function wantsColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}
