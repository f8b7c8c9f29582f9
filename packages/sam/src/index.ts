export { SuffixAutomaton } from './automaton.ts';
export { BestFirstHeap } from './best-first.ts';
export { SAM_ONLY_DEFAULTS, SamOnlyDrafter, type SamOnlyOptions } from './sam-only.ts';
export { SAM_TR_DEFAULTS, SAM_TR_TREE, SamTrDrafter, type SamTrOptions } from './sam-tr.ts';
export { DRAFT_SOURCES, type DraftSource, SourceCounters } from './sources.ts';
export { StaticCorpus, type StaticCorpusOptions } from './static-corpus.ts';
