/**
 * Full lossless check and story-suite MAT for the baselines on stories260K (llama.cpp, CPU), written as a
 * markdown report.
 *
 *   npx tsx bench/lossless.ts --datastore FILE [--out results/reports/lossless-baselines.md] [--max-new-tokens 200] [--methods lookahead,rest]
 *
 * Every method runs the 48-prompt story suite and all 480 Spec-Bench first turns (raw template: BOS + the
 * turn's text) and is compared token for token with plain greedy decoding. Prompts with >= 512 tokens do not
 * fit the context and are counted as skipped; prompts with less than 200 tokens of room stop at the context
 * limit for every method alike. One drafter instance per method and suite, prompts in file order (stateful
 * drafters — the suffix global tree — carry state from earlier prompts, as in a serving run).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@trbench/assets';
import type { Drafter, TargetModel } from '@trbench/core';
import { parseTemplate, TokenRecyclingDrafter } from '@trbench/token-recycling';
import { Datastore } from '../src/datastore.ts';
import {
  NGRAM_MAP_DEFAULTS,
  NGRAM_MOD_DEFAULTS,
  NGRAM_SIMPLE_DEFAULTS,
  NgramCacheDrafter,
  NgramMapK4vDrafter,
  NgramMapKDrafter,
  NgramModDrafter,
  NgramSimpleDrafter,
} from '../src/llama-ngram/index.ts';
import { LOOKAHEAD_DEFAULTS, LookaheadDrafter } from '../src/lookahead.ts';
import { PLD_PRESETS, PldDrafter } from '../src/pld.ts';
import { REST_DEFAULTS, RestDrafter } from '../src/rest.ts';
import { SUFFIX_DEFAULTS, SUFFIX_VLLM_DEFAULTS, SUFFIX_VLLM_UPSTREAM_DEFAULTS, SuffixDecodingDrafter } from '../src/suffix-decoding.ts';
import { compareWithReference, type PreparedPrompt, prepareSuite, type SuiteOutcome } from '../src/testing/lossless-harness.ts';
import { openStories260K } from '../src/testing/open-stories.ts';
import { specBenchFirstTurns, storySuite } from '../src/testing/suites.ts';

const { values } = parseArgs({
  options: {
    datastore: { type: 'string' },
    out: { type: 'string', default: path.join(repoRoot, 'results', 'reports', 'lossless-baselines.md') },
    'max-new-tokens': { type: 'string', default: '200' },
    'spec-bench-every': { type: 'string', default: '1' },
    'with-tr': { type: 'boolean', default: false },
    // Extra settings beside the reference ones (warm/cold state, Spec-Bench's dummy miss token).
    variants: { type: 'boolean', default: false },
    'stories-only': { type: 'boolean', default: false },
    // Only the methods whose name starts with one of these (comma-separated), e.g. `lookahead,rest`.
    methods: { type: 'string' },
  },
});
if (!values.datastore) throw new Error('--datastore FILE is required (trbench corpus + trbench datastore build)');
const maxNew = Number(values['max-new-tokens']);
const every = Number(values['spec-bench-every']);

const { model, sha256 } = await openStories260K(65);
// TR (packages/token-recycling, the lead's implementation) needs 81 nodes and top-8: its own model instance.
const trModel = values['with-tr'] ? (await openStories260K(81, 8)).model : null;
const datastore = Datastore.load(values.datastore, sha256);
const methods: [string, () => Drafter, TargetModel][] = [
  ['pld', () => new PldDrafter({ ...PLD_PRESETS.original, missToken: null }), model],
  ['pld (hf variant)', () => new PldDrafter({ ...PLD_PRESETS.hf, missToken: null }), model],
  ['lookahead', () => new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS }), model],
  ['rest', () => new RestDrafter(datastore, { ...REST_DEFAULTS }, path.basename(values.datastore as string)), model],
  ['suffix', () => new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS }), model],
  // As vLLM runs it: ArcticInference's plugin and upstream vLLM's `method: suffix` (path drafts).
  ['suffix-vllm', () => new SuffixDecodingDrafter({ ...SUFFIX_VLLM_DEFAULTS }), model],
  ['suffix-vllm-upstream', () => new SuffixDecodingDrafter({ ...SUFFIX_VLLM_UPSTREAM_DEFAULTS }), model],
  // llama.cpp's own n-gram speculators, llama.cpp's defaults, one warm llama-server slot per method and suite.
  ['ngram-simple', () => new NgramSimpleDrafter({ ...NGRAM_SIMPLE_DEFAULTS }), model],
  ['ngram-map-k', () => new NgramMapKDrafter({ ...NGRAM_MAP_DEFAULTS }), model],
  ['ngram-map-k4v', () => new NgramMapK4vDrafter({ ...NGRAM_MAP_DEFAULTS }), model],
  ['ngram-mod', () => new NgramModDrafter({ ...NGRAM_MOD_DEFAULTS }), model],
  ['ngram-cache', () => new NgramCacheDrafter(), model],
];
if (values.variants) {
  methods.push(
    ['pld (miss token 100, as Spec-Bench)', () => new PldDrafter({ ...PLD_PRESETS.original, missToken: 100 }), model],
    [
      'lookahead (pool kept across prompts)',
      () => new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS, keepPool: true }),
      model,
    ],
    [
      'lookahead (POOL_FROM_PROMPT)',
      () => new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS, poolFromPrompt: true }),
      model,
    ],
    [
      'lookahead (full match commits N: fix, before issue 33)',
      () => new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS, fullMatchCommit: 'n' }),
      model,
    ],
    [
      'lookahead (windowSeed 10: Spec-Bench start)',
      () => new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS, windowSeed: 10 }),
      model,
    ],
    [
      'rest (no miss token)',
      () => new RestDrafter(datastore, { ...REST_DEFAULTS, missToken: null }, path.basename(values.datastore as string)),
      model,
    ],
    [
      'rest (cut: none, before issue 33)',
      () => new RestDrafter(datastore, { ...REST_DEFAULTS, cut: 'none', missToken: null }, path.basename(values.datastore as string)),
      model,
    ],
    ['suffix (no global tree: cache 0)', () => new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS, maxCachedRequests: 0 }), model],
    ['suffix (path drafts)', () => new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS, tree: false }), model],
    ['ngram-cache (cold: fresh state per prompt)', () => new NgramCacheDrafter('cold'), model],
    ['ngram-mod (cold)', () => new NgramModDrafter({ ...NGRAM_MOD_DEFAULTS }, 'cold'), model],
  );
}
if (trModel) {
  const template = parseTemplate('2.2.2', 8);
  methods.push([
    'tr (k=8, 2.2.2, hot start)',
    () => new TokenRecyclingDrafter({ vocabSize: model.info.vocabSize, k: 8, template, modelSha256: sha256 }),
    trModel,
  ]);
}

if (values.methods) {
  const only = values.methods.split(',');
  const kept = methods.filter(([name]) => only.some((o) => name.startsWith(o)));
  methods.splice(0, methods.length, ...kept);
}

const t0 = performance.now();
const suiteSources: [string, () => Promise<{ id: string; category: string; text: string }[]>][] = [
  ['story suite (48)', async () => storySuite()],
  [`Spec-Bench first turns (${every === 1 ? 'all 480' : `every ${every}th`})`, () => specBenchFirstTurns(every)],
];
if (values['stories-only']) suiteSources.pop();
const results: { suite: string; outcome: SuiteOutcome; seconds: number }[] = [];
const notes: string[] = [];
for (const [suite, load] of suiteSources) {
  const promptsText = await load();
  // Each model instance gets its own plain-decoding reference (they differ in KV size and top-k width).
  const references = new Map<TargetModel, PreparedPrompt[]>();
  const prepared = (m: TargetModel): PreparedPrompt[] => {
    let p = references.get(m);
    if (!p) {
      p = prepareSuite(m, promptsText, maxNew);
      references.set(m, p);
    }
    return p;
  };
  const prompts = prepared(model);
  const refTokens = prompts.reduce((n, p) => n + p.reference.length, 0);
  const ran = prompts.filter((p) => !p.skipped).length;
  process.stderr.write(`${suite}: ${ran} prompts run, ${prompts.length - ran} skipped, AR ${refTokens} tokens\n`);
  for (const [name, make, runOn] of methods) {
    const t = performance.now();
    const outcome = compareWithReference(runOn, make(), prepared(runOn), maxNew);
    outcome.method = name;
    const seconds = (performance.now() - t) / 1000;
    results.push({ suite, outcome, seconds });
    process.stderr.write(
      `  ${name}: identical ${outcome.identical}, diverged ${outcome.diverged}, skipped ${outcome.skipped}, MAT ${outcome.mat.toFixed(3)} (${seconds.toFixed(1)} s)\n`,
    );
  }
  if (trModel) {
    const a = prepared(model);
    const b = prepared(trModel);
    const same = a.every((p, i) => p.reference.length === b[i].reference.length && p.reference.every((t, j) => t === b[i].reference[j]));
    notes.push(
      `${suite}: plain decoding on the TR model instance (81 nodes, top-8) ${same ? 'equals' : 'DIFFERS from'} the one on the baselines' instance.`,
    );
  }
}

const lines: string[] = [];
lines.push('# Lossless check of the baselines on stories260K');
lines.push('');
lines.push(
  `Generated by \`packages/baselines/bench/lossless.ts\` (${new Date().toISOString().slice(0, 10)}): ${maxNew} new tokens per prompt, greedy, ` +
    `llama.cpp on CPU (${model.backend.version}), stories260K (sha256 \`${sha256}\`), REST datastore \`${path.basename(values.datastore)}\` ` +
    `(${datastore.documentCount} documents, ${datastore.tokens.length} tokens). Each output is compared token for token with plain greedy ` +
    'decoding of the same prompt; prompts of >= 512 tokens do not fit the context and are skipped.',
);
lines.push('');
lines.push('| suite | method | identical | diverged | skipped | MAT | tokens per forward | first divergences |');
lines.push('|---|---|---:|---:|---:|---:|---:|---|');
for (const { suite, outcome } of results) {
  const div = outcome.divergences.length === 0 ? '' : outcome.divergences.map((d) => `${d.id}@${d.at}`).join(', ');
  lines.push(
    `| ${suite} | ${outcome.method} | ${outcome.identical} | ${outcome.diverged} | ${outcome.skipped} | ${outcome.mat.toFixed(3)} | ${outcome.meanDraftNodes.toFixed(1)} | ${div} |`,
  );
}
lines.push('');
for (const note of notes) lines.push(`- ${note}`);
if (notes.length > 0) lines.push('');
lines.push(
  'MAT = tokens committed per target forward over all prompts of the suite (bonus included; plain decoding = 1). ' +
    'Tokens per forward = mean draft size evaluated per step, root included (plain decoding = 1). ' +
    `Total wall time ${((performance.now() - t0) / 1000).toFixed(0)} s on this machine (not a speed measurement).`,
);
writeFileSync(values.out, `${lines.join('\n')}\n`);
process.stderr.write(`wrote ${values.out}\n`);
model.dispose();
trModel?.dispose();
