// The runner's programmatic surface (the CLI is bin/trbench.js): sweeps, their summaries and the CI check.

export { loadSweepConfig, type SweepConfig, type Variant } from './config/load.ts';
export { captureEnvironment, type Environment } from './env/environment.ts';
export { type BackendCurve, measureBackendCurve } from './models/backend-curve.ts';
export { CONVERTER_ENV, convertHf, extractConverter, llamaSourceBundle } from './models/hf-convert.ts';
export { openModel } from './models/open-model.ts';
export { type Baseline, baselineOf, type CheckLine, checkSummary, DEFAULT_TOLERANCES, type Tolerances } from './report/check.ts';
export { costCurveChart } from './report/cost-chart.ts';
export { writeReport } from './report/report.ts';
export { type MetricRow, OVERALL, type Summary, summarize } from './report/summary.ts';
export type { RunRecord } from './sweep/records.ts';
export { type RunOptions, runBench } from './sweep/run.ts';
