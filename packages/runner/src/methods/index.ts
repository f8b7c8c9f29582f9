// Importing a method's module registers it; the order here is the order `--help` lists them.
import './ar.ts';
import './tr.ts';
import './pld.ts';
import './lookahead.ts';
import './rest.ts';
import './suffix.ts';
import './hybrid.ts';
import './sam-tr.ts';
import './sam.ts';
import './sps.ts';
import './ngram-simple.ts';
import './ngram-map-k.ts';
import './ngram-map-k4v.ts';
import './ngram-mod.ts';
import './ngram-cache.ts';

export * from './batch-drafters.ts';
export * from './registry.ts';
