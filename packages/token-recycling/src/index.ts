export { AdjacencyMatrix } from './matrix.ts';
export {
  type AcceptanceModel,
  chainPaths,
  compareBfs,
  DEFAULT_ACCEPTANCE_PRIOR,
  greedyPaths,
  PAPER_2_2_2,
  parseTemplate,
  type RankPath,
  readTemplateFile,
  TreeTemplate,
} from './template.ts';
export { type DuplicateRule, TokenRecyclingDrafter, type TokenRecyclingOptions } from './token-recycling.ts';
export { AcceptanceStats, RecordingDrafter } from './tuner/acceptance-stats.ts';
export {
  CALIBRATION_PROMPTS_PATH,
  describePlan,
  describeTuned,
  ensureTunedTemplate,
  loadCalibrationPrompts,
  type TunedTemplateFile,
  tunedTemplatePath,
  tuningKey,
} from './tuner/auto-template.ts';
export {
  DEFAULT_TUNE_BUDGET_SECONDS,
  parseTuneBudget,
  planTuning,
  type TuningPlan,
} from './tuner/budget.ts';
export {
  type BudgetRow,
  type Candidate,
  calibrationPaths,
  expectedAccepted,
  formatGain,
  type TuneOptions,
  type TuneProgress,
  type TuneProgressFactory,
  type TuneResult,
  tuneTemplate,
} from './tuner/tune.ts';
