/**
 * Lookahead's MAT on the story suite (stories260K, llama.cpp, CPU) with LADE's full-match rule (`n-1`, the
 * default) and the fix (`n`), with trbench's window start and Spec-Bench's (`windowSeed: 10`): pooled
 * (tokens / steps over the suite) and the mean of per-story MATs. Deterministic; not a timing, and no
 * lossless check (bench/lossless.ts and the proofs do that).
 *
 *   npx tsx bench/lookahead-commit.ts [200,256]   (new-token budgets, comma-separated)
 */
import { DecodeLoop } from '@trbench/core';
import { LOOKAHEAD_DEFAULTS, LookaheadDrafter, type LookaheadOptions } from '../src/lookahead.ts';
import { openStories260K } from '../src/testing/open-stories.ts';
import { storySuite } from '../src/testing/suites.ts';

const { model } = await openStories260K(65);
const prompts = storySuite().map((p) => model.tokenize(p.text, true));
const settings: [string, Partial<LookaheadOptions>][] = [
  ['n-1', {}],
  ['n', { fullMatchCommit: 'n' }],
  ['n-1 ws10', { windowSeed: 10 }],
  ['n ws10', { fullMatchCommit: 'n', windowSeed: 10 }],
];
for (const maxNewTokens of (process.argv[2] ?? '200,256').split(',').map(Number)) {
  for (const [name, o] of settings) {
    const loop = new DecodeLoop(model, new LookaheadDrafter(model.info.vocabSize, { ...LOOKAHEAD_DEFAULTS, ...o }));
    let tokens = 0;
    let steps = 0;
    let sumMat = 0;
    for (const ids of prompts) {
      const r = loop.generate(ids, { maxNewTokens });
      tokens += r.tokens.length;
      steps += r.steps;
      sumMat += r.tokens.length / r.steps;
    }
    console.log(
      `${maxNewTokens} ${name}: pooled ${(tokens / steps).toFixed(3)} mean ${(sumMat / prompts.length).toFixed(3)} (${tokens} tokens, ${steps} steps)`,
    );
  }
}
model.dispose();
