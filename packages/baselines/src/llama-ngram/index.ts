export { NGRAM_CACHE_DRAFT, NgramCacheDrafter } from './ngram-cache.ts';
export { NGRAM_MAP_DEFAULTS, NgramMap, type NgramMapOptions } from './ngram-map.ts';
export { NgramMapKDrafter } from './ngram-map-k.ts';
export { NgramMapK4vDrafter } from './ngram-map-k4v.ts';
export { NGRAM_MOD_DEFAULTS, NgramModDrafter, type NgramModOptions } from './ngram-mod.ts';
export { NGRAM_SIMPLE_DEFAULTS, NgramSimpleDrafter, type NgramSimpleOptions, ngramSimpleDraft } from './ngram-simple.ts';
export { LlamaNgramDrafter, type NgramLifetime, type NgramSpeculator } from './server-slot.ts';
