import { NgramMapK4vDrafter } from '@trbench/baselines';
import { registerNgramMapMethod } from './ngram-map-method.ts';

registerNgramMapMethod({
  name: 'ngram-map-k4v',
  summary: 'llama.cpp --spec-type ngram-map-k4v: like ngram-map-k with 4 counted values per key, drafts a 2:1 majority',
  minHitsDescription: 'key lookups before drafting',
  create: (p, lifetime) => new NgramMapK4vDrafter(p, lifetime),
});
