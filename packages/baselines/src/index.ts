export {
  CORPUS_SAMPLER_VERSION,
  type CorpusRecord,
  type CorpusSampleOptions,
  corpusSampleSeed,
  readCorpus,
  sampleCorpus,
} from './corpus.ts';
export { DATASTORE_FORMAT_VERSION, Datastore } from './datastore.ts';
export {
  LlamaNgramDrafter,
  NGRAM_CACHE_DRAFT,
  NGRAM_MAP_DEFAULTS,
  NGRAM_MOD_DEFAULTS,
  NGRAM_SIMPLE_DEFAULTS,
  NgramCacheDrafter,
  type NgramLifetime,
  NgramMapK4vDrafter,
  NgramMapKDrafter,
  type NgramMapOptions,
  NgramModDrafter,
  type NgramModOptions,
  NgramSimpleDrafter,
  type NgramSimpleOptions,
} from './llama-ngram/index.ts';
export {
  LOOKAHEAD_DEFAULTS,
  LookaheadDrafter,
  type LookaheadFullMatchCommit,
  type LookaheadOptions,
  lookaheadMaxDraftNodes,
} from './lookahead.ts';
export { NgramPool } from './lookahead-pool.ts';
export { JacobiWindow } from './lookahead-window.ts';
export { findPromptLookup, PLD_PRESETS, PldDrafter, type PldOptions, type PldVariant } from './pld.ts';
export { PrefixTrie } from './prefix-trie.ts';
export { PythonRandom } from './python-random.ts';
export { REST_DEFAULTS, type RestCut, RestDrafter, type RestOptions } from './rest.ts';
export { SPS_DEFAULTS, SpsDrafter, type SpsOptions, type SpsTreeShape, spsDraftModelRequirements, spsMaxDraftNodes } from './sps.ts';
export { SuffixHeap } from './std-heap.ts';
export { buildSuffixArray, buildSuffixArrayAsync, suffixRange } from './suffix-array.ts';
export {
  SUFFIX_DEFAULTS,
  SUFFIX_VLLM_DEFAULTS,
  SUFFIX_VLLM_UPSTREAM_DEFAULTS,
  SuffixDecodingDrafter,
  SuffixGlobalCache,
  type SuffixOptions,
} from './suffix-decoding.ts';
export { type SpeculateOptions, SuffixDraft, SuffixTree } from './suffix-tree.ts';
export type { TokenReader } from './token-reader.ts';
