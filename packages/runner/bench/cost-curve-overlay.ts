/**
 * One t(n)/t(1) chart from several `cost-curve.json` files (e.g. one model in several weight types, or one
 * model on several machines), drawn from the raw medians, not the monotone fit: a kernel switch that makes
 * t(4) < t(3) must stay visible.
 *
 *   npx tsx packages/runner/bench/cost-curve-overlay.ts --out chart.png [--max-n 16] [--title T] \
 *     F16=results/runs/cpu-quant-tn/f16/cost-curve.json Q4_0=results/runs/cpu-quant-tn/q4_0/cost-curve.json …
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { costCurveChart } from '../src/report/cost-chart.ts';
import { arg, optionalArg } from './args.ts';

interface CostCurveFile {
  spec: string;
  threads: number;
  environment: { cpu: string };
  results: { backend: string; sizes: number[]; ms: number[]; rawMs?: number[] }[];
}

const out = arg('out');
const maxN = Number(optionalArg('max-n') ?? Number.POSITIVE_INFINITY);
const inputs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (inputs.length === 0) throw new Error('give one or more LABEL=cost-curve.json');

const series = inputs.map((input) => {
  const eq = input.indexOf('=');
  if (eq < 1) throw new Error(`expected LABEL=FILE, got ${input}`);
  const [label, file] = [input.slice(0, eq), input.slice(eq + 1)];
  const doc = JSON.parse(readFileSync(file, 'utf8')) as CostCurveFile;
  const r = doc.results[0];
  if (!r?.rawMs) throw new Error(`${file}: results[0].rawMs is missing (a cost-curve.json from before raw medians were kept)`);
  const keep = r.sizes.map((n, i) => [n, (r.rawMs as number[])[i]] as const).filter(([n]) => n <= maxN);
  return {
    label: `${label} (t(1) = ${keep[0][1].toFixed(1)} ms)`,
    sizes: keep.map(([n]) => n),
    ms: keep.map(([, ms]) => ms),
    doc,
  };
});
const first = series[0].doc;
const subtitle = `${first.results[0].backend} · ${first.threads} thread(s) · ${first.environment.cpu} · raw medians`;
writeFileSync(out, costCurveChart(series, optionalArg('title') ?? 'Cost of verifying n tokens in one forward', subtitle));
console.error(`wrote ${out}`);
