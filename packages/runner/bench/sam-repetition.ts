/**
 * sam-tr against TR on outputs that repeat their own earlier text: the story suite at 300 new tokens on
 * stories260K (ONNX), each prompt classed by the share of its greedy output tokens that end an 8-gram already
 * seen earlier in prompt + output (≥ 50 %: "repeats its own earlier text"), pooled MAT per class.
 *
 *   npx tsx packages/runner/bench/sam-repetition.ts
 *
 * (Prompts that merely contain repeated text do not make stories260K copy it: a prompt = opening + its greedy
 * continuation + the opening again repeats 0–14 tokens of that continuation; so the classes are by output.)
 */
import { loadStorySuite } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop } from '@trbench/core';
import { createDrafter } from '../src/methods/index.ts';
import { openModel } from '../src/models/open-model.ts';

const MAX = 300;
const N = 8;
const opened = await openModel({ model: 'stories260K', backend: 'onnx', threads: 1, maxDraftNodes: 81, topK: 8 });
const model = opened.model;
const ctx = {
  vocabSize: model.info.vocabSize,
  modelSha256: opened.resolved.sha256,
  modelName: 'stories260K',
  modelSpec: 'stories260K',
  model,
};
const plain = new DecodeLoop(model, new AutoregressiveDrafter());
const sam = new DecodeLoop(model, await createDrafter('sam-tr', {}, ctx));
const tr = new DecodeLoop(model, await createDrafter('tr', {}, ctx));
const pool = { repeats: [0, 0, 0, 0, 0], other: [0, 0, 0, 0, 0] };
for (const q of loadStorySuite()) {
  const ids = model.tokenize(q.prompt, true);
  const g = plain.generate(ids, { maxNewTokens: MAX }).tokens;
  const all = [...ids, ...g];
  const seen = new Set<string>();
  for (let j = N - 1; j < ids.length; j++) seen.add(all.slice(j - N + 1, j + 1).join(','));
  let repeated = 0;
  for (let i = ids.length; i < all.length; i++) {
    if (i < N - 1) continue;
    const key = all.slice(i - N + 1, i + 1).join(',');
    if (seen.has(key)) repeated++;
    seen.add(key);
  }
  const share = repeated / g.length;
  const a = sam.generate(ids, { maxNewTokens: MAX });
  const b = tr.generate(ids, { maxNewTokens: MAX });
  const identical = a.tokens.length === g.length && a.tokens.every((t, i) => t === g[i]);
  const c = share >= 0.5 ? pool.repeats : pool.other;
  c[0] += a.tokens.length;
  c[1] += a.steps;
  c[2] += b.tokens.length;
  c[3] += b.steps;
  c[4]++;
  console.log(
    `${q.id}: ${g.length} tokens, ${(100 * share).toFixed(0)} % repeated 8-grams, sam-tr MAT ${a.meanAcceptedTokens.toFixed(2)}, TR MAT ${b.meanAcceptedTokens.toFixed(2)}${identical ? '' : ' (sam-tr DIFFERS from greedy)'}`,
  );
}
for (const [k, c] of Object.entries(pool))
  console.log(`${k}: ${c[4]} prompts, ${c[0]} tokens, sam-tr MAT ${(c[0] / c[1]).toFixed(2)}, TR 2.2.2 MAT ${(c[2] / c[3]).toFixed(2)}`);
model.dispose();
