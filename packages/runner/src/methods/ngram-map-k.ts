import { NgramMapKDrafter } from '@trbench/baselines';
import { registerNgramMapMethod } from './ngram-map-method.ts';

registerNgramMapMethod({
  name: 'ngram-map-k',
  summary: "llama.cpp --spec-type ngram-map-k: hash-indexed n-gram lookup, m tokens cut to the key's last acceptance",
  minHitsDescription: 'accepted for parity; llama.cpp never checks it for map-k',
  create: (p, lifetime) => new NgramMapKDrafter(p, lifetime),
});
