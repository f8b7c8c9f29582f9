// Importing a method's module registers it; the order here is the order `--help` lists them.
import './ar.ts';
import './tr.ts';
import './pld.ts';
import './lookahead.ts';
import './rest.ts';
import './suffix.ts';
import './sps.ts';

export * from './registry.ts';
