export { BUCKETS, Calibration, SOURCE_COUNT, SOURCES, type SourceName } from './calibration.ts';
export { CostModel, type CostModelInfo } from './cost-model.ts';
export { DEFAULT_LINEAR_SLOPE, HYBRID_DEFAULTS } from './defaults.ts';
export { HybridDrafter, type HybridOptions } from './hybrid.ts';
export { PairRows } from './pair-rows.ts';
export { RecycledRows } from './recycled-rows.ts';
export { rowProbabilities } from './row-probs.ts';
export { BestFirstTree, ITEM_ROOT, NO_ITEM } from './tree-builder.ts';
