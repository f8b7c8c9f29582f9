import { existsSync } from 'node:fs';
import { Datastore, readCorpus } from '@trbench/baselines';
import { TrbenchError } from '@trbench/core';
import { StaticCorpus } from '@trbench/sam';
import { openModel } from '../models/open-model.ts';
import type { MethodContext, MethodFlag } from './registry.ts';
import { autoDatastore } from './rest.ts';

/**
 * The flags `sam` and `sam-tr` share (the CLI lists a flag once; each method that owns it maps it to its own
 * parameter).
 */
export const SAM_SHARED_FLAGS: MethodFlag[] = [
  {
    flags: '--sam-len-bias <n>',
    description: 'sam, sam-tr: static match lengths are reduced by this (sam-tr 5, sam 0)',
    param: 'lenBias',
  },
  {
    flags: '--sam-corpus <spec>',
    description: "sam, sam-tr: static corpus: auto (REST's self-sampled corpus), none, a .rest datastore or a JSONL corpus",
    param: 'corpus',
    parse: (raw) => raw,
  },
];

/**
 * The separator SAM-Decoding puts after each corpus document: the model's end-of-sequence token, i.e. its
 * stop token that is not BOS (stories260K also stops at BOS, its story delimiter).
 */
function eosOf(ctx: MethodContext): number {
  const stops = ctx.model.info.stopTokens;
  const bos = ctx.model.tokenize('', true);
  const eos = stops.find((t) => !(bos.length === 1 && bos[0] === t));
  return eos ?? stops[0] ?? -1;
}

/**
 * The static automaton of `sam` / `sam-tr`:
 * - `auto` (default): REST's auto corpus of this model (`trbench corpus` sampled from the model itself, the
 *   datastore `rest` with `datastore: auto` uses, cached), built first if missing by sampling on llama.cpp.
 *   A twin (`twin:…`) computes stories260K's function with stories260K's token ids, so it takes stories260K's.
 *   The datastore holds the documents concatenated without boundaries (REST's format): it becomes one document.
 * - a `.rest` datastore file (same reading), or a JSONL corpus as `trbench corpus` writes it (one document per line);
 * - `none`: an empty static automaton (the authors' `NullStaticSAM`), said on stderr and recorded.
 */
export async function loadStaticCorpus(spec: string, ctx: MethodContext, label: string): Promise<StaticCorpus> {
  const say = (line: string) => process.stderr.write(`[${label}] ${line}\n`);
  if (spec === 'none') {
    say('no static corpus (corpus: none): the static automaton is empty, every static match has length 0');
    return StaticCorpus.empty();
  }
  const eos = eosOf(ctx);
  const options = { vocabSize: ctx.vocabSize, eos, name: spec };
  if (spec === 'auto') {
    const twin = (ctx.modelSpec ?? '').startsWith('twin:');
    const source = twin ? 'stories260K' : (ctx.modelSpec ?? ctx.modelName);
    const opened = await openModel({ model: source, backend: 'llama.cpp', threads: 1, maxDraftNodes: 1, topK: 1, exposeLogits: true });
    try {
      const file = await autoDatastore(opened.model, opened.model.info.vocabSize, opened.resolved.sha256, ctx.signal);
      const store = Datastore.load(file, opened.resolved.sha256);
      say(`static corpus: ${file} (${store.tokens.length} tokens${twin ? ", stories260K's for this twin" : ''})`);
      return new StaticCorpus([store.tokens], { ...options, name: `auto:${file}` });
    } finally {
      opened.model.dispose();
    }
  }
  if (!existsSync(spec)) throw new TrbenchError(`corpus ${spec}: no such file (expected auto, none, a .rest datastore or a JSONL corpus)`);
  if (spec.endsWith('.rest')) {
    const store = Datastore.load(spec, ctx.modelSha256);
    return new StaticCorpus([store.tokens], options);
  }
  return new StaticCorpus(
    readCorpus(spec, (text) => ctx.model.tokenize(text, true)),
    options,
  );
}
