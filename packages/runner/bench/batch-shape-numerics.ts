/**
 * How much a token's logits depend on the batch it is evaluated in, per weight type: the numerics behind
 * "numeric" divergences of lossless checks. For each model and story prompt, a greedy continuation is decoded
 * one token per forward (the reference, as plain decoding evaluates it), then the same tokens are evaluated
 * again as chains of n tokens per forward (as a speculative method's accepted path is), from the same
 * prefill. Every row is compared with the reference row of the same position: max |Δ| over the vocabulary,
 * positions that jumped (|Δ| > 1e-3: far beyond float reordering, ~1e-6 here), the relative change of the
 * reference top-2, positions past the lossless classifier's 1 % tie tolerance, and argmax flips. n = 1
 * again is the control (must be exactly 0). With `--repack both`, each model is also loaded with
 * llama.cpp's weight repacking off, which isolates the repacked Q4_0 / Q4_K kernels. Deterministic: no lock.
 *
 *   npx tsx packages/runner/bench/batch-shape-numerics.ts --models twin:d256-l5-h8-kv4-f512:q4_k_m,… \
 *     [--sizes 1,2,3,4,8,16] [--prompts 8] [--positions 96] [--repack on|off|both] [--threads 2] [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { Draft, Predictions } from '@trbench/core';
import { loadDatasetSource } from '../src/datasets/load.ts';
import { captureEnvironment } from '../src/env/environment.ts';
import { arg, ints, optionalArg } from './args.ts';

const specs = arg('models').split(',').filter(Boolean);
const sizes = ints(arg('sizes', '1,2,3,4,8,16'));
const positions = ints(arg('positions', '96'))[0];
const promptCount = ints(arg('prompts', '8'))[0];
const threads = ints(arg('threads', '2'))[0];
const repackArg = arg('repack', 'on');
if (!['on', 'off', 'both'].includes(repackArg)) throw new Error(`--repack must be on, off or both, got ${repackArg}`);
const repacks = repackArg === 'both' ? [true, false] : [repackArg === 'on'];
const out = optionalArg('out') ?? null;
const stories = (await loadDatasetSource({ kind: 'stories' })).questions;
const picked = Array.from(
  { length: Math.min(promptCount, stories.length) },
  (_, i) => stories[Math.floor((i * stories.length) / Math.min(promptCount, stories.length))],
);
const JUMP = 1e-3;
const TIE_TOLERANCE = 1e-2; // the lossless classifier's: a tie is within 1 % of the logit (at least 0.01)

interface ShapeResult {
  n: number;
  maxAbsDelta: number;
  /** positions with |Δ| > JUMP anywhere in the row. */
  jumped: number;
  /** max over positions of |Δ| at the reference top-1 and top-2 ids, relative to max(1, |logit|). */
  maxTop2RelDelta: number;
  /** positions where that relative change exceeds the tie tolerance. */
  pastTolerance: number;
  argmaxFlips: number;
}

function top2(row: Float32Array, vocab: number): [number, number] {
  let a = 0;
  let b = 1;
  if (row[b] > row[a]) [a, b] = [b, a];
  for (let i = 2; i < vocab; i++) {
    const x = row[i];
    if (x > row[a]) {
      b = a;
      a = i;
    } else if (x > row[b]) b = i;
  }
  return [a, b];
}

async function measure(spec: string, weightRepack: boolean) {
  const resolved = await resolveModel(spec);
  const maxN = Math.max(...sizes);
  const model = await LlamaCppModel.open({
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
    gpu: false,
    threads,
    maxDraftNodes: maxN,
    topK: 2,
    rank: 'host',
    exposeLogits: true,
    weightRepack,
  });
  try {
    const vocab = model.info.vocabSize;
    const draft = new Draft(maxN);
    const preds = new Predictions(maxN, 2);
    const tokens = new Int32Array(positions + 1);
    const reference = new Float32Array(positions * vocab);
    const acceptAll = Int32Array.from({ length: maxN }, (_, i) => i);
    const logitsOf = (row: number) => (model.nodeLogits as (r: number) => Float32Array)(row);
    const results: ShapeResult[] = sizes.map((n) => ({
      n,
      maxAbsDelta: 0,
      jumped: 0,
      maxTop2RelDelta: 0,
      pastTolerance: 0,
      argmaxFlips: 0,
    }));
    for (const question of picked) {
      const prompt = model.tokenize(question.turns[0], true);
      // Reference: one token per forward; the root is the last prompt token, then each argmax.
      model.reset();
      model.prefill(prompt.subarray(0, prompt.length - 1));
      tokens[0] = prompt[prompt.length - 1];
      for (let j = 0; j < positions; j++) {
        draft.reset(tokens[j]);
        model.evaluate(draft, preds);
        const row = logitsOf(0);
        reference.set(row.subarray(0, vocab), j * vocab);
        tokens[j + 1] = top2(row, vocab)[0];
        model.commit(acceptAll, 1);
      }
      for (const r of results) {
        const n = r.n;
        model.reset();
        model.prefill(prompt.subarray(0, prompt.length - 1));
        for (let start = 0; start < positions; start += n) {
          const count = Math.min(n, positions - start);
          draft.reset(tokens[start]);
          for (let i = 1; i < count; i++) draft.add(tokens[start + i], i - 1);
          model.evaluate(draft, preds);
          for (let i = 0; i < count; i++) {
            const row = logitsOf(i);
            const ref = reference.subarray((start + i) * vocab, (start + i + 1) * vocab);
            let maxAbs = 0;
            for (let v = 0; v < vocab; v++) maxAbs = Math.max(maxAbs, Math.abs(row[v] - ref[v]));
            const [t1, t2] = top2(ref, vocab);
            const rel = Math.max(
              Math.abs(row[t1] - ref[t1]) / Math.max(1, Math.abs(ref[t1])),
              Math.abs(row[t2] - ref[t2]) / Math.max(1, Math.abs(ref[t2])),
            );
            r.maxAbsDelta = Math.max(r.maxAbsDelta, maxAbs);
            if (maxAbs > JUMP) r.jumped++;
            r.maxTop2RelDelta = Math.max(r.maxTop2RelDelta, rel);
            if (rel > TIE_TOLERANCE) r.pastTolerance++;
            if (top2(row, vocab)[0] !== t1) r.argmaxFlips++;
          }
          model.commit(acceptAll, count);
        }
      }
    }
    return { spec, sha256: resolved.sha256, weightRepack, vocab, backend: model.backend, results };
  } finally {
    model.dispose();
  }
}

const runs = [];
for (const spec of specs) for (const repack of repacks) runs.push(await measure(spec, repack));

const fmt = (x: number) => (x === 0 ? '0' : x < 1e-3 ? x.toExponential(1) : x.toFixed(4));
const lines = [
  `| model | repack | ${sizes.map((n) => `n = ${n}`).join(' | ')} |`,
  `|---|---|${sizes.map(() => '---').join('|')}|`,
  ...runs.map(
    (run) =>
      `| \`${run.spec}\` | ${run.weightRepack ? 'on' : 'off'} | ${run.results
        .map(
          (r) => `${fmt(r.maxAbsDelta)} / ${r.jumped} / ${(100 * r.maxTop2RelDelta).toFixed(2)} % / ${r.pastTolerance} / ${r.argmaxFlips}`,
        )
        .join(' | ')} |`,
  ),
];
const table = lines.join('\n');
const legend =
  `Each cell: max |Δ logit| over the vocabulary / positions with a jump (|Δ| > ${JUMP}) / largest relative change of ` +
  `the reference top-2 logits / positions past the 1 % tie tolerance / argmax flips, over ${picked.length} story prompts × ` +
  `${positions} positions, against one token per forward.`;
console.log(`${table}\n\n${legend}`);
if (out) {
  mkdirSync(out, { recursive: true });
  const environment = captureEnvironment();
  writeFileSync(
    path.join(out, 'batch-shape-numerics.json'),
    `${JSON.stringify({ prompts: picked.map((q) => q.id), positions, sizes, threads, environment, runs }, null, 1)}\n`,
  );
  writeFileSync(
    path.join(out, 'batch-shape-numerics.md'),
    `# Logit changes by batch shape (\`packages/runner/bench/batch-shape-numerics.ts\`)\n\n${threads} thread(s), ${environment.cpu}, ` +
      `${runs[0].backend.version}, commit ${environment.gitCommit.slice(0, 10)}\n\n${table}\n\n${legend}\n`,
  );
}
