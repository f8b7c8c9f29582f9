/**
 * Forward time t(n) of one draft evaluation with n nodes, on llama.cpp and on the onnx backend, measured
 * side by side in one process (interleaved, same tree, same committed context), printed as milliseconds
 * and as ratios to each backend's own t(1).
 *
 *   TRBENCH_MIRROR=/work/shared/assets npx tsx packages/backend-onnx/bench/forward-time.ts \
 *     [--context 128] [--reps 40] [--threads 1] [--attention op|decomposed]
 */
import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { Draft, Predictions, type TargetModel } from '@trbench/core';
import { type AttentionForm, OnnxModel } from '../src/index.ts';

const SIZES = [1, 8, 32, 81, 128];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

const context = option('context', 128);
const reps = option('reps', 40);
const threads = option('threads', 1);
const maxNodes = Math.max(...SIZES);
const attentionArg = process.argv.indexOf('--attention');
const attention = (attentionArg < 0 ? 'op' : process.argv[attentionArg + 1]) as AttentionForm;
if (attention !== 'op' && attention !== 'decomposed') throw new Error(`--attention needs op or decomposed, got ${attention}`);

const m = await resolveModel('stories260K');
const common = {
  path: m.path,
  name: m.name,
  sha256: m.sha256,
  maxDraftNodes: maxNodes,
  topK: 8,
  threads,
  extraStopTokens: m.extraStopTokens,
};
const backends: { label: string; model: TargetModel }[] = [
  { label: 'llama.cpp', model: await LlamaCppModel.open({ ...common, gpu: false, kvCacheType: 'f32' }) },
  { label: 'onnx', model: await OnnxModel.open({ ...common, attention }) },
];

const draft = new Draft(maxNodes);
const out = new Predictions(maxNodes, 8);
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const prefix = Int32Array.from({ length: context }, (_, i) => (i === 0 ? 1 : 3 + Math.floor(rnd() * 509)));
const rootOnly = Int32Array.of(0);
// Each timed evaluate is followed by committing its root (llama.cpp's backend needs a commit between two
// evaluations), so the context grows by one per call; it is rebuilt every 16 calls to stay near --context.
const evaluateOnce = (model: TargetModel): number => {
  if (model.committedLength === 0 || model.committedLength >= context + 16) {
    model.reset();
    model.prefill(prefix, null);
  }
  const t0 = performance.now();
  model.evaluate(draft, out);
  const t = performance.now() - t0;
  model.commit(rootOnly, 1);
  return t;
};

const times = backends.map(() => SIZES.map(() => [] as number[]));
for (let s = 0; s < SIZES.length; s++) {
  const n = SIZES[s];
  draft.reset(3 + Math.floor(rnd() * 509));
  for (let i = 1; i < n; i++) draft.add(3 + Math.floor(rnd() * 509), Math.floor(rnd() ** 1.7 * i));
  for (const b of backends) for (let w = 0; w < 5; w++) evaluateOnce(b.model); // warm-up
  for (let r = 0; r < reps; r++) for (let bi = 0; bi < backends.length; bi++) times[bi][s].push(evaluateOnce(backends[bi].model));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
console.log(
  `stories260K, committed context ${context}..${context + 15}, ${threads} thread(s), median of ${reps} evaluations (random trees)`,
);
for (const b of backends)
  console.log(`  ${b.label}: ${b.model.backend.version} (${b.model.backend.device}) ${JSON.stringify(b.model.backend.settings ?? {})}`);
console.log('');
const header = backends.map((b) => `${`${b.label} t(n) ms`.padStart(18)}${'t(n)/t(1)'.padStart(11)}`);
console.log(`${'n'.padStart(5)} | ${header.join(' | ')}`);
for (let s = 0; s < SIZES.length; s++) {
  const cells = backends.map((_, bi) => {
    const t = median(times[bi][s]);
    const t1 = median(times[bi][0]);
    return `${t.toFixed(3).padStart(18)}${(t / t1).toFixed(2).padStart(11)}`;
  });
  console.log(`${String(SIZES[s]).padStart(5)} | ${cells.join(' | ')}`);
}
for (const b of backends) b.model.dispose();
