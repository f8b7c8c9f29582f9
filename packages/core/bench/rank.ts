/**
 * Times the host ranking the decode loop does per step, on synthetic logits shaped like an LLM's:
 *
 *   npx tsx packages/core/bench/rank.ts --vocab 32000 --rows 81 [--sampling] [--json] [--k 8] [--repeats 31] [--cold]
 *
 * Greedy: `rankLogitsRows` over all rows (what the llama.cpp backend runs after each forward). With
 * `--sampling`: the same, plus what the sampling verifier does on the rows it visits: the distribution at
 * temperature 1 (`ProcessedDistribution.build`: the softmax normaliser; weights are written only when a
 * whole row is read) on the 7 rows of one root-to-leaf path (min(7, rows)), the issue-19 definition; the
 * bonus-token draw from one whole row (`sample`, which writes that row's weights) is timed and printed
 * beside it, not in msPerStep. Warm (5 untimed steps first), median of `--repeats` steps. The old
 * implementation (bench/rank-baseline.ts) is timed in the same run, interleaved, on the same data.
 * With `--json` the last line is `{"vocab":V,"rows":N,"sampling":bool,"msPerStep":X}`.
 *
 * Warm means the logits may sit in the CPU's caches between repeats (10 MB at V = 32,000 fits many L3s),
 * as after a CPU forward that just wrote them. `--cold` streams 64 MB through the caches before each timed
 * step (both implementations), as when a GPU's copy lands in memory: then the read is bound by DRAM.
 */
import os from 'node:os';
import { Predictions, ProcessedDistribution, Rng, rankLogitsRows } from '../src/index.ts';
import { rankLogitsRowBaseline, TemperatureDistributionBaseline } from './rank-baseline.ts';

function fail(message: string): never {
  console.error(`rank: ${message}`);
  process.exit(2);
}
function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be an integer >= 1, got ${process.argv[i + 1] ?? '(nothing)'}`);
  return v;
}
const known = new Set(['--vocab', '--rows', '--k', '--repeats', '--sampling', '--json', '--cold']);
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!known.has(a)) fail(`unknown argument ${JSON.stringify(a)}; expected --vocab V --rows N [--sampling] [--json] [--k K] [--repeats R]`);
  if (a !== '--sampling' && a !== '--json' && a !== '--cold') i++;
}
const vocab = intArg('vocab', 32000);
const rows = intArg('rows', 81);
const k = intArg('k', 8);
const repeats = intArg('repeats', 31);
const sampling = process.argv.includes('--sampling');
const json = process.argv.includes('--json');
const cold = process.argv.includes('--cold');
const pathRows = Math.min(7, rows);

/**
 * Per row: a bell of logits (sd 2.5) plus a few dozen plausible tokens at random ids, Zipf-like
 * (max − 1.5·ln rank), with the row's top around +12: roughly the shape of an LLM's next-token logits.
 */
function synthesize(): Float32Array {
  const logits = new Float32Array(vocab * rows);
  let s = 0x9e3779b9;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    for (let t = 0; t < vocab; t++) logits[base + t] = (rnd() + rnd() + rnd() + rnd() - 2) * 2.5 * Math.sqrt(3);
    for (let rank = 1; rank <= 40; rank++) logits[base + Math.floor(rnd() * vocab)] = 12 - 1.5 * Math.log(rank) + rnd();
  }
  return logits;
}

const logits = synthesize();
const out = new Predictions(rows, k);
const dist = new ProcessedDistribution(vocab);
const T1 = { temperature: 1, topK: 0, topP: 1, seed: 0 };
const oldIds = new Int32Array(rows * k);
const oldVals = new Float32Array(rows * k);
const oldDist = new TemperatureDistributionBaseline(vocab);

let newSamplingMs = 0;
let drawMs = 0;
const rng = new Rng(1);
function stepNew(): void {
  rankLogitsRows(logits, 0, vocab, rows, out, 0, false);
  const t0 = performance.now();
  if (sampling) for (let r = 0; r < pathRows; r++) dist.build(logits, r * vocab, T1);
  newSamplingMs = performance.now() - t0;
}
/** The bonus-token draw at the end of a sampled step: one whole row's weights, then the draw. */
function drawNew(): void {
  if (!sampling) return;
  const t0 = performance.now();
  dist.sample(rng);
  drawMs = performance.now() - t0;
}
function stepOld(): void {
  for (let r = 0; r < rows; r++) rankLogitsRowBaseline(logits, r * vocab, vocab, Math.min(k, vocab), oldIds, oldVals, r * k);
  if (sampling) for (let r = 0; r < pathRows; r++) oldDist.build(logits, r * vocab, 1);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
for (let i = 0; i < 5; i++) {
  stepNew();
  stepOld();
}
// Same answer, or the comparison means nothing.
for (let i = 0; i < rows * Math.min(k, vocab); i++) {
  const r = Math.floor(i / Math.min(k, vocab));
  const j = r * k + (i % Math.min(k, vocab));
  if (out.topIds[j] !== oldIds[j]) fail(`internal: new and old ranking differ at row ${r}`);
}
const evict = new Float64Array(cold ? 8 << 20 : 0);
let evictSum = 0;
/** Reads and writes 64 MB, pushing the logits out of every cache level. */
function evictCaches(): void {
  for (let i = 0; i < evict.length; i += 8) {
    evict[i] += 1;
    evictSum += evict[i];
  }
}
const tNew: number[] = [];
const tNewSampling: number[] = [];
const tDraw: number[] = [];
const tOld: number[] = [];
for (let i = 0; i < repeats; i++) {
  evictCaches();
  let t0 = performance.now();
  stepNew();
  tNew.push(performance.now() - t0);
  tNewSampling.push(newSamplingMs);
  drawNew();
  tDraw.push(drawMs);
  evictCaches();
  t0 = performance.now();
  stepOld();
  tOld.push(performance.now() - t0);
}
const msNew = median(tNew);
const msOld = median(tOld);
const what = sampling ? `top-${k} on ${rows} rows + T=1 distribution on ${pathRows} rows` : `top-${k} on ${rows} rows`;
if (evictSum < 0) console.log(''); // keeps the eviction loop observable
console.log(
  `vocab ${vocab}, ${what}; median of ${repeats} warm steps${cold ? ', caches flushed before each' : ''}; ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
);
console.log(
  `  now (rankLogitsRows${sampling ? ' + ProcessedDistribution' : ''}): ${msNew.toFixed(3)} ms/step` +
    (sampling
      ? ` (of which the ${pathRows} distributions: median ${median(tNewSampling).toFixed(3)} ms); the bonus draw from one whole row adds ${median(tDraw).toFixed(3)} ms`
      : ''),
);
console.log(
  `  old (scalar scan${sampling ? ' + Math.exp' : ''}):            ${msOld.toFixed(3)} ms/step  (${(msOld / msNew).toFixed(1)}× the new time)`,
);
if (json) console.log(JSON.stringify({ vocab, rows, sampling, msPerStep: Number(msNew.toFixed(4)) }));
