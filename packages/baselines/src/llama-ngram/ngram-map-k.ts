import { NgramMap, type NgramMapOptions } from './ngram-map.ts';
import { checkSizes } from './ngram-simple.ts';
import { LlamaNgramDrafter, type NgramLifetime } from './server-slot.ts';

/**
 * llama.cpp `--spec-type ngram-map-k`: a hash index of the history's n-grams finds the key; the draft is the
 * m tokens after the match, cut to what was accepted the last time this key drafted. `min-hits` is not
 * checked (as in llama.cpp).
 */
export class NgramMapKDrafter extends LlamaNgramDrafter {
  readonly name = 'ngram-map-k';
  constructor(options: NgramMapOptions, lifetime: NgramLifetime = 'warm') {
    checkSizes('ngram-map-k', options.sizeN, options.sizeM);
    checkMinHits('ngram-map-k', options.minHits);
    super(new NgramMap({ ...options }, true), lifetime, { ...options });
  }
}

/** llama.cpp's range for `--spec-ngram-map-*-min-hits` (≥ 1; stored as uint16). */
export function checkMinHits(method: string, minHits: number): void {
  if (!Number.isInteger(minHits) || minHits < 1 || minHits > 65_535)
    throw new RangeError(`${method} min-hits must be an integer in 1..65535, got ${minHits}`);
}
