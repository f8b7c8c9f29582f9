// Importing a method's module registers it; the order here is the order `--help` lists them.
import './ar.ts';
import './tr.ts';

export * from './registry.ts';
