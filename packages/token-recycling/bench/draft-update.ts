// TR's own cost per step (draft by BFS + matrix update for the 81-node tree) next to one forward of the
// same tree on stories260K, measured side by side in one run. Run: npx tsx bench/draft-update.ts
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { Acceptance, Draft, Predictions, TokenHistory } from '@trbench/core';
import { parseTemplate, TokenRecyclingDrafter } from '../src/index.ts';

const STEPS = 20_000;
const template = parseTemplate('2.2.2', 8);

function drafterCostMicros(vocab: number): { draft: number; update: number } {
  let seed = 42;
  const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const tr = new TokenRecyclingDrafter({ vocabSize: vocab, k: 8, template, modelSha256: '0'.repeat(64) });
  for (let i = 0; i < tr.matrix.data.length; i++) tr.matrix.data[i] = Math.floor(rnd() * vocab); // a warm matrix
  const preds = new Predictions(template.nodes, 8);
  for (let i = 0; i < preds.topIds.length; i++) preds.topIds[i] = Math.floor(rnd() * vocab);
  const draft = new Draft(template.nodes);
  const acceptance = new Acceptance(template.nodes);
  acceptance.length = 1;
  const history = new TokenHistory();
  const roots = Int32Array.from({ length: 1024 }, () => Math.floor(rnd() * vocab));
  let draftMs = 0;
  let updateMs = 0;
  for (let rep = 0; rep < 2; rep++) {
    // first repetition warms up the JIT; the second is measured
    draftMs = 0;
    updateMs = 0;
    for (let s = 0; s < STEPS; s++) {
      const t0 = performance.now();
      draft.reset(roots[s & 1023]);
      tr.propose(history, draft);
      const t1 = performance.now();
      tr.observe(draft, preds, acceptance);
      updateMs += performance.now() - t1;
      draftMs += t1 - t0;
    }
  }
  return { draft: (draftMs * 1000) / STEPS, update: (updateMs * 1000) / STEPS };
}

const { model, resolved } = await openStories260K({ maxDraftNodes: template.nodes, topK: 8 });
const prompt = model.tokenize('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.', true);
const draft = new Draft(template.nodes);
const preds = new Predictions(template.nodes, 8);
const tr = new TokenRecyclingDrafter({ vocabSize: model.info.vocabSize, k: 8, template, modelSha256: resolved.sha256 });
const keepRoot = new Int32Array(1);
let forwardMs = 0;
const FORWARDS = 60;
for (let i = -10; i < FORWARDS; i++) {
  if (i === -10) {
    model.reset();
    model.prefill(prompt.subarray(0, prompt.length - 1), null);
  }
  draft.reset(prompt[prompt.length - 1]);
  tr.propose(new TokenHistory(), draft);
  const t0 = performance.now();
  model.evaluate(draft, preds);
  if (i >= 0) forwardMs += performance.now() - t0;
  model.commit(keepRoot, 1);
}
forwardMs /= FORWARDS;
model.dispose();

console.log(`TR draft + update per step, tree 2.2.2 (${template.nodes} nodes), k = 8, ${STEPS} steps`);
console.log(
  `forward of the same tree on stories260K (llama.cpp, 1 thread, context ~${prompt.length}-${prompt.length + FORWARDS}): ${(forwardMs * 1000).toFixed(0)} µs`,
);
console.log('vocab   draft µs  update µs  total µs  total / forward');
for (const vocab of [512, 32_000]) {
  const c = drafterCostMicros(vocab);
  const total = c.draft + c.update;
  console.log(
    `${String(vocab).padEnd(7)} ${c.draft.toFixed(2).padStart(8)}  ${c.update.toFixed(2).padStart(9)}  ${total.toFixed(2).padStart(8)}  ${((total / (forwardMs * 1000)) * 100).toFixed(3).padStart(8)} %`,
  );
}
