export { AutoregressiveDrafter } from './autoregressive.ts';
export { type BatchBudget, BatchBudgetAllocator, forwardCost } from './batch-budget.ts';
export { measureBatchCostCurve } from './batch-cost-curve.ts';
export {
  BatchDecodeLoop,
  type BatchDecodeOptions,
  type BatchGenerationResult,
  type BatchRequest,
  type BatchRunResult,
  type SlotDrafters,
} from './batch-decode.ts';
export type { BatchTargetModel } from './batch-model.ts';
export { CommitTrace, type CommitTraceData, NO_RUNNER_UP } from './commit-trace.ts';
export { type CostCurve, costAt, measureCostCurve, nonDecreasing } from './cost-curve.ts';
export {
  type AsyncDecodeOptions,
  DecodeLoop,
  type DecodeOptions,
  type GenerationResult,
  type StepView,
  type StopReason,
} from './decode.ts';
export {
  classifyDivergence,
  type DivergenceKind,
  type DivergenceVerdict,
  NUMERIC_TIE_RELATIVE,
  type RunAtDivergence,
  reevaluateDivergence,
  type ScheduleLogits,
  tieTolerance,
} from './divergence.ts';
export { Draft } from './draft.ts';
export type { Drafter, DrafterContext, RequestLimits } from './drafter.ts';
export { TrbenchError } from './errors.ts';
export { TokenHistory } from './history.ts';
export { DEFAULT_YIELD_MS, describeInterruption, InterruptedError, Pacer, throwIfInterrupted, yieldToEventLoop } from './interrupt.ts';
export { acceptHistogram, meanAcceptedTokens, StepLog, sum } from './metrics.ts';
export {
  type BackendInfo,
  checkTargetModelOptions,
  type EvaluateTiming,
  type ModelInfo,
  type TargetModel,
  type TargetModelOptions,
} from './model.ts';
export { type PairedSpeedup, pairedSpeedup, studentTCdf, studentTQuantile, type Timed } from './paired-speedup.ts';
export { logSumExpWithMax, Predictions, rankLogitsRow, rankLogitsRows } from './predictions.ts';
export { ProposalDistributions } from './proposals.ts';
export { GREEDY, ProcessedDistribution, Rng, type SamplingOptions, validateSampling } from './sampling.ts';
export { SparseLogitsRow } from './sparse-row.ts';
export { GreedyVerifier, SpeculativeSamplingVerifier, type Verifier } from './verifier.ts';
export { Acceptance, verifyGreedy } from './verify.ts';
