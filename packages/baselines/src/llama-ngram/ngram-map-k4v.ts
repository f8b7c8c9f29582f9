import { NgramMap, type NgramMapOptions } from './ngram-map.ts';
import { checkMinHits } from './ngram-map-k.ts';
import { checkSizes } from './ngram-simple.ts';
import { LlamaNgramDrafter, type NgramLifetime } from './server-slot.ts';

/**
 * llama.cpp `--spec-type ngram-map-k4v`: like ngram-map-k, but each key keeps up to four value m-grams with
 * counts and drafts only when the most frequent one outnumbers the others two to one (after `min-hits`
 * lookups of the key).
 */
export class NgramMapK4vDrafter extends LlamaNgramDrafter {
  readonly name = 'ngram-map-k4v';
  constructor(options: NgramMapOptions, lifetime: NgramLifetime = 'warm') {
    checkSizes('ngram-map-k4v', options.sizeN, options.sizeM);
    checkMinHits('ngram-map-k4v', options.minHits);
    super(new NgramMap({ ...options }, false), lifetime, { ...options });
  }
}
