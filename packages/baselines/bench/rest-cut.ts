/**
 * REST's tree size and MAT on the story suite, with REST's `cut_to_choices` (the default) and without it
 * (`cut: none`), on stories260K (llama.cpp, CPU; deterministic, not a timing).
 *
 *   npx tsx bench/rest-cut.ts --datastore FILE [--max-new-tokens 200]
 *
 * Per setting: MAT and nodes per step (draft size per decode step, root included) from a decode of the 48
 * stories checked against plain decoding, and nodes per tree (drafted nodes, root excluded) over every
 * context of the 48 plain greedy runs (prompt + each prefix of the output, as a replay of REST's retriever
 * would see them), with how many of those contexts miss.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Draft, TokenHistory } from '@trbench/core';
import { Datastore } from '../src/datastore.ts';
import { REST_DEFAULTS, type RestCut, RestDrafter } from '../src/rest.ts';
import { compareWithReference, prepareSuite } from '../src/testing/lossless-harness.ts';
import { openStories260K } from '../src/testing/open-stories.ts';
import { storySuite } from '../src/testing/suites.ts';

const { values } = parseArgs({ options: { datastore: { type: 'string' }, 'max-new-tokens': { type: 'string', default: '200' } } });
if (!values.datastore) throw new Error('--datastore FILE is required');
const maxNew = Number(values['max-new-tokens']);
const { model, sha256 } = await openStories260K(65);
const datastore = Datastore.load(values.datastore, sha256);
const prompts = prepareSuite(model, storySuite(), maxNew);
process.stdout.write(
  `datastore ${path.basename(values.datastore)} (${datastore.documentCount} documents, ${datastore.tokens.length} tokens)\n`,
);
process.stdout.write(
  '| cut | miss token | MAT | nodes per step (root incl.) | contexts | nodes per tree (root excl.) | misses | lossless |\n',
);
process.stdout.write('|---|---|---:|---:|---:|---:|---:|---|\n');
for (const [cut, missToken] of [
  ['choices', 100],
  ['none', 100],
  ['none', null],
] as [RestCut, number | null][]) {
  const options = { ...REST_DEFAULTS, cut, missToken };
  const outcome = compareWithReference(model, new RestDrafter(datastore, options), prompts, maxNew);
  const drafter = new RestDrafter(datastore, options);
  const draft = new Draft(drafter.maxDraftNodes);
  let contexts = 0;
  let nodes = 0;
  let misses = 0;
  for (const p of prompts) {
    if (p.skipped) continue;
    const all = new Int32Array(p.ids.length + p.reference.length);
    all.set(p.ids);
    all.set(p.reference, p.ids.length);
    for (let end = p.ids.length; end < all.length; end++) {
      const h = new TokenHistory();
      h.begin(all.subarray(0, end), all.length + 1);
      draft.reset(all[end - 1]);
      drafter.propose(h, draft);
      contexts++;
      if (drafter.lastQueryLength === 0) misses++;
      else nodes += draft.count - 1;
    }
  }
  process.stdout.write(
    `| ${cut} | ${missToken ?? 'none'} | ${outcome.mat.toFixed(3)} | ${outcome.meanDraftNodes.toFixed(2)} | ${contexts} | ${(nodes / (contexts - misses)).toFixed(2)} | ${misses} | ${outcome.identical}/${outcome.identical + outcome.diverged} |\n`,
  );
}
model.dispose();
