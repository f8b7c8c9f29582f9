/**
 * Draws speedup against nodes per step for every method of a run (`speedupVsNodesChart`), one PNG per
 * model × dataset, into `<out>/`:
 *
 *   npx tsx packages/runner/bench/nodes-chart.ts --summary results/runs/hybrid/summary.json --out results/reports/hybrid/charts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileSafe } from '../src/report/charts.ts';
import { speedupVsNodesChart } from '../src/report/nodes-chart.ts';
import type { Summary } from '../src/report/summary.ts';
import { arg } from './args.ts';

const summary = JSON.parse(readFileSync(arg('summary'), 'utf8')) as Summary;
const out = arg('out');
mkdirSync(out, { recursive: true });
for (const m of summary.models)
  for (const d of summary.datasets) {
    const png = speedupVsNodesChart(summary, m.id, d.id);
    if (!png) continue;
    const file = path.join(out, `${fileSafe(m.id)}__${fileSafe(d.id)}__speedup-vs-nodes.png`);
    writeFileSync(file, png);
    console.log(file);
  }
