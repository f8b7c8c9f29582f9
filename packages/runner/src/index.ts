// The runner's programmatic surface (the CLI is bin/trbench.js): sweeps, their summaries and the CI check.
export { type Baseline, baselineOf, type CheckLine, checkSummary, DEFAULT_TOLERANCES, type Tolerances } from './check.ts';
export { loadSweepConfig, type SweepConfig, type Variant } from './config/load.ts';
export { costCurveChart } from './cost-chart.ts';
export { captureEnvironment, type Environment } from './environment.ts';
export { openModel } from './open-model.ts';
export type { RunRecord } from './records.ts';
export { writeReport } from './report.ts';
export { type RunOptions, runBench } from './run.ts';
export { type MetricRow, OVERALL, type Summary, summarize } from './summary.ts';
