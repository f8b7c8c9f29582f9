// How much the warm-up protocol moves MAT (issue 28): runs sweep configs under `warmupProtocol: spec-bench`
// (the warm-up on the recorded drafter, as every report before issue 28) and `isolated` (the default since),
// each with one repeat (MAT is deterministic: every repeat has a fresh drafter and the same questions), and
// prints per model × dataset × variant the MAT of both, the change, and the committed report's MAT when its
// summary is given. MAT only: the runs' timings are not used (no timing lock needed).
//
//   npx tsx packages/runner/bench/warmup-protocol-mat.ts configs/ablation-k.yaml[=results/reports/ablation-k/summary.json] … \
//     [--drop-method rest] [--out FILE.md]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@trbench/assets';
import { parseDocument } from 'yaml';
import { OVERALL, type Summary } from '../src/report/summary.ts';
import { markdownTable } from '../src/report/table.ts';
import { lineProgress } from '../src/sweep/progress.ts';
import { runBench } from '../src/sweep/run.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, 'drop-method': { type: 'string', multiple: true } },
});
const drop = new Set(values['drop-method'] ?? []);
const work = mkdtempSync(path.join(os.tmpdir(), 'trbench-warmup-mat-'));
const progress = lineProgress(process.stderr);

/** MAT of every overall row, by `model · dataset · variant`. */
function mats(summary: Pick<Summary, 'rows'>): Map<string, number> {
  return new Map(
    summary.rows
      .filter((r) => r.subtask === OVERALL && r.mat !== null)
      .map((r) => [`${r.model} · ${r.dataset} · ${r.variant}`, r.mat as number]),
  );
}

const rows: string[][] = [];
const t0 = Date.now();
for (const arg of positionals) {
  const [file, committedFile] = arg.split('=');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.set('repeats', 1);
  const methods = doc.get('methods') as { items: { get(k: string): unknown }[] };
  methods.items = methods.items.filter((m) => !drop.has(String(m.get('method'))));
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const run = async (protocol: 'spec-bench' | 'isolated') => {
    doc.set('warmupProtocol', protocol);
    // Next to the original, so that relative paths in it keep their meaning.
    const tmp = path.join(path.dirname(path.resolve(file)), `.${name}.${protocol}.tmp.yaml`);
    writeFileSync(tmp, doc.toString());
    try {
      const { summary } = await runBench({ config: tmp, out: work, name: `${name}-${protocol}`, progress, overwrite: true });
      return { summary, mats: mats(summary) };
    } finally {
      rmSync(tmp, { force: true });
    }
  };
  const specBench = await run('spec-bench');
  const isolated = await run('isolated');
  const committed = committedFile ? mats(JSON.parse(readFileSync(committedFile, 'utf8')) as Summary) : null;
  for (const [key, before] of specBench.mats) {
    const after = isolated.mats.get(key)!;
    const was = committed?.get(key);
    rows.push([
      name,
      key,
      String(specBench.summary.warmup),
      was === undefined ? '–' : was.toFixed(3),
      before.toFixed(3),
      after.toFixed(3),
      (after - before).toFixed(3),
      `${((100 * (after - before)) / before).toFixed(1)} %`,
    ]);
  }
  process.stderr.write(`[warmup-mat] ${name} done (${((Date.now() - t0) / 1000).toFixed(0)} s so far)\n`);
}
const table = markdownTable(
  ['config', 'model · dataset · variant', 'warm-up runs', 'committed MAT', 'MAT spec-bench', 'MAT isolated', 'Δ', 'Δ %'],
  rows,
  ['left', 'left'],
);
const text = `${table}\n`;
if (values.out) writeFileAtomic(values.out, text);
process.stdout.write(text);
