// `npm run kit:charts -- <out>`: at home, draws the charts the offline kit leaves out: the sweep's
// (trbench report <out>/sweep) and the cost curve's t(n)/t(1) (from <out>/cost-curve/cost-curve.json).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { costCurveChart, writeReport } from '@trbench/runner';

try {
  const out = process.argv[2];
  if (!out || !existsSync(out))
    throw new TrbenchError(`usage: npm run kit:charts -- <the kit's --out folder> (got ${JSON.stringify(out ?? '')})`);
  const sweep = path.join(out, 'sweep');
  if (existsSync(path.join(sweep, 'records.jsonl'))) {
    const { files } = writeReport(sweep);
    process.stdout.write(`sweep: ${files.filter((f) => f.endsWith('.png')).length} charts in ${path.join(sweep, 'charts')}\n`);
  }
  const curveFile = path.join(out, 'cost-curve', 'cost-curve.json');
  if (existsSync(curveFile)) {
    const doc = JSON.parse(readFileSync(curveFile, 'utf8')) as {
      spec: string;
      threads: number;
      context: number;
      environment: { cpu: string };
      results: { backend: string; device: string; sizes: number[]; ms: number[] }[];
    };
    const png = costCurveChart(
      doc.results.map((r) => ({ label: `${r.backend} ${r.device} (t(1) = ${r.ms[0].toFixed(1)} ms)`, sizes: r.sizes, ms: r.ms })),
      'Cost of verifying n tokens in one forward',
      `${doc.spec} · context ${doc.context} · ${doc.results[0]?.device ?? ''}`,
    );
    const file = path.join(out, 'cost-curve', 'charts', 'cost-curve.png');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, png);
    process.stdout.write(`cost curve: ${file}\n`);
  }
} catch (err) {
  if (!(err instanceof TrbenchError)) throw err;
  process.stderr.write(`kit:charts: ${err.message}\n`);
  process.exitCode = 2;
}
