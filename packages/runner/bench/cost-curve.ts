/**
 * Forward-time curve t(n) of any model spec (twins included) on one or more backends, with the
 * environment, as JSON + a Markdown table + the t(n)/t(1) chart. Run it under the timing lock:
 *
 *   flock /work/timing.lock npx tsx packages/runner/bench/cost-curve.ts --model twin:d1024-l8-h16-kv8-f2816 \
 *     --backends llama.cpp,onnx --threads 2 --context 64 --sizes 1,2,4,8,16,32,64,81 --repeats 5 \
 *     [--device cuda] [--out results/reports/twin-cpu]
 *
 * Each size is timed with core's `measureCostCurve` (round-robin over sizes, median, monotone fit) on a
 * prefix of the paper's 2.2.2 tree (sizes above 81 use a greedy tree).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseTemplate } from '@trbench/token-recycling';
import { captureEnvironment } from '../src/env/environment.ts';
import { type BackendCurve, measureBackendCurve } from '../src/models/backend-curve.ts';
import { openModel, parseBackend } from '../src/models/open-model.ts';
import { costCurveChart } from '../src/report/cost-chart.ts';
import { arg, ints, optionalArg } from './args.ts';

const spec = arg('model', 'stories260K');
const backends = arg('backends', 'llama.cpp,onnx').split(',').map(parseBackend);
const threads = ints(arg('threads', '1'))[0];
const context = ints(arg('context', '64'))[0];
const sizes = ints(arg('sizes', '1,2,4,8,16,32,64,81'));
const repeats = ints(arg('repeats', '5'))[0];
const device = optionalArg('device');
const out = optionalArg('out') ?? null;
const maxNodes = Math.max(...sizes);
const tree = parseTemplate(maxNodes <= 81 ? '2.2.2' : `greedy:${maxNodes}:8`, 8);

const results: BackendCurve[] = [];
for (const backend of backends) {
  const { model, resolved } = await openModel({ model: spec, backend, threads, device, maxDraftNodes: maxNodes, topK: 8 });
  try {
    const curve = await measureBackendCurve(model, { backend, name: resolved.name, sha256: resolved.sha256 }, sizes, tree.parent, {
      contextLength: context,
      repeats,
    });
    results.push(curve);
    console.error(`${backend}: ${curve.sizes.map((n, i) => `t(${n})=${curve.ms[i].toFixed(1)}`).join(' ')} ms`);
  } finally {
    model.dispose();
  }
}

const environment = captureEnvironment();
const doc = { spec, threads, context, repeats, tree: tree.name, environment, results };
const table = [
  `| n | ${results.map((r) => `${r.backend} t(n) ms | t(n)/t(1) | raw median ms`).join(' | ')} |`,
  `|---:|${results.map(() => '---:|---:|---:').join('|')}|`,
  ...sizes.map(
    (n, i) =>
      `| ${n} | ${results.map((r) => `${r.ms[i].toFixed(2)} | ${r.ratio[i].toFixed(2)} | ${r.rawMs?.[i]?.toFixed(2) ?? '–'}`).join(' | ')} |`,
  ),
].join('\n');
console.log(`${spec}, ${threads} thread(s), context ${context}, median of ${repeats}\n\n${table}`);
if (out) {
  mkdirSync(path.join(out, 'charts'), { recursive: true });
  writeFileSync(path.join(out, 'cost-curve.json'), `${JSON.stringify(doc, null, 1)}\n`);
  writeFileSync(
    path.join(out, 'cost-curve.md'),
    `# Forward time t(n): ${spec}\n\n${threads} thread(s), committed context ${context}, median of ${repeats} (\`packages/runner/bench/cost-curve.ts\`), ` +
      `${environment.cpu}, ${results.map((r) => `${r.backend}: ${r.version} (${r.device})`).join('; ')}, commit ${environment.gitCommit.slice(0, 10)}\n\n${table}\n\n![t(n)/t(1)](charts/cost-curve.png)\n`,
  );
  const subtitle = `${spec} · ${threads} thread(s) · context ${context} · ${environment.cpu}`;
  writeFileSync(
    path.join(out, 'charts', 'cost-curve.png'),
    costCurveChart(
      results.map((r) => ({ label: `${r.backend} (t(1) = ${r.ms[0].toFixed(1)} ms)`, sizes: r.sizes, ms: r.ms })),
      'Cost of verifying n tokens in one forward',
      subtitle,
    ),
  );
}
