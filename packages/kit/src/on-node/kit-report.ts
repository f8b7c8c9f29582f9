import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { captureEnvironment, type MetricRow, OVERALL, type Summary } from '@trbench/runner';

/** One line of `steps.jsonl`, appended by kit/run.sh as each step ends. */
interface StepLine {
  step: string;
  status: 'ok' | 'failed' | 'skipped' | 'stopped';
  seconds: number;
  note?: string;
}

function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null; // a step that died while writing: reported as missing
  }
}

function readSteps(out: string): StepLine[] {
  const file = path.join(out, 'steps.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as StepLine];
      } catch {
        return [];
      }
    });
}

const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));

function sweepTable(summary: Summary): string {
  const rows = summary.rows.filter((r: MetricRow) => r.subtask === OVERALL);
  const lines = [
    '| variant | questions | MAT | tok/s | speedup (paired) | 95 % interval | lossless |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows.map((r) => {
      const ci = r.speedupCi ? `${fmt(r.speedupCi.low)}–${fmt(r.speedupCi.high)}` : '–';
      const lossless = r.lossless ? `${r.lossless.identical}/${r.lossless.compared}` : 'reference';
      return `| ${r.variant} | ${r.questions} | ${fmt(r.mat)} | ${fmt(r.tokensPerSecond, 1)} | ${fmt(r.speedup)} | ${ci} | ${lossless} |`;
    }),
  ];
  return lines.join('\n');
}

/**
 * Writes `<out>/report.md` and `<out>/summary.json` from whatever the steps left there (a step that failed
 * or ran out of time is reported as such; nothing is invented). Returns the report's path.
 */
export function writeKitReport(out: string): string {
  const steps = readSteps(out);
  const manifest = readJson<Record<string, unknown>>(path.join(out, 'kit-manifest.json'));
  const build = readJson<Record<string, unknown>>(path.join(out, 'build.json'));
  const check = readJson<{ results: Record<string, unknown>[] }>(path.join(out, 'check-backend.json'));
  const curve = readJson<{ spec: string; results: { version: string; device: string; sizes: number[]; ms: number[]; ratio: number[] }[] }>(
    path.join(out, 'cost-curve', 'cost-curve.json'),
  );
  const plan = readJson<Record<string, unknown>>(path.join(out, 'sweep.plan.json'));
  const sweep = readJson<Summary>(path.join(out, 'sweep', 'summary.json'));
  const gpu = existsSync(path.join(out, 'gpu.csv')) ? readFileSync(path.join(out, 'gpu.csv'), 'utf8').trim() : null;
  const environment = captureEnvironment();
  const models = readJson<{ note: string | null }>(path.join(out, 'models.json'));

  const md: string[] = ['# trbench offline kit run', ''];
  md.push(`- trbench commit ${environment.gitCommit}${environment.gitDirty ? ' (with local changes)' : ''}, Node ${environment.node}`);
  md.push(`- CPU: ${environment.cpu}, ${environment.cores} cores, ${environment.memoryGiB} GiB`);
  if (gpu) md.push(`- GPU: ${gpu.split('\n').slice(1).join('; ') || gpu}`);
  if (build)
    md.push(
      `- libllama: ${String(build.variant)} build${build.cudaArch ? ` for CUDA arch ${String(build.cudaArch)}` : ''}, ${fmt(Number(build.seconds), 0)} s (${String(build.generator)}, ${String(build.jobs)} jobs, CMake ${String(build.cmake)}${build.nvcc ? `, nvcc ${String(build.nvcc)}` : ''})`,
    );
  if (models?.note) md.push(`- Note: ${models.note}`);
  md.push('', '## Steps', '', '| step | status | seconds | note |', '|---|---|---:|---|');
  for (const s of steps) md.push(`| ${s.step} | ${s.status} | ${fmt(s.seconds, 0)} | ${s.note ?? ''} |`);
  const total = steps.reduce((sum, s) => sum + (Number.isFinite(s.seconds) ? s.seconds : 0), 0);
  md.push(`| total | | ${fmt(total, 0)} | |`);

  md.push('', '## Tree attention: every node of the tree against its path evaluated linearly', '');
  if (!check?.results?.length) md.push('not run (see the steps above and run.log)');
  for (const r of check?.results ?? []) {
    md.push(
      `- ${r.passed ? 'PASS' : '**FAIL**'} ${String(r.model)} (vocabulary ${String(r.vocabSize)}) on ${String(r.device)}: ${String(r.nodes)}-node tree ${String(r.tree)}, ` +
        `max |tree − linear| = ${Number(r.maxAbsDiff).toExponential(2)}, scaled by max(1, |logit|) ${Number(r.maxScaledDiff).toExponential(2)} (tolerance ${String(r.tolerance)}), ` +
        `${(r.argmaxMismatches as unknown[]).length} greedy-token mismatches, ${String(r.nearTies)} near-ties`,
    );
  }

  md.push('', '## Forward time t(n)', '');
  const c = curve?.results?.[0];
  if (!curve || !c) md.push('not measured (see the steps above)');
  else {
    md.push(`${curve.spec}, ${c.version} (${c.device}); details in cost-curve/cost-curve.md`, '');
    md.push('| n | t(n) ms | t(n)/t(1) |', '|---:|---:|---:|');
    c.sizes.forEach((n, i) => md.push(`| ${n} | ${fmt(c.ms[i])} | ${fmt(c.ratio[i])} |`));
  }

  md.push('', '## Sweep (paired speedups over AR, lossless = identical tokens to AR)', '');
  if (plan)
    md.push(
      `Planned: ${String(plan.questions)} question(s), estimated ${fmt(Number(plan.estimateSeconds), 0)} s (${String(plan.basis)}).`,
      '',
    );
  if (!sweep) md.push('no sweep results (see the steps above)');
  else {
    md.push(
      `${sweep.complete === false ? '**Incomplete** (stopped at the deadline): ' : ''}${sweep.records} question runs in sweep/ (records.jsonl, report.md).`,
      '',
    );
    md.push(sweepTable(sweep));
  }
  md.push(
    '',
    'Charts: copy this folder home and run `npm run kit:charts -- <this folder>` (or `npx trbench report <this folder>/sweep`).',
    '',
  );
  const file = path.join(out, 'report.md');
  writeFileAtomic(file, md.join('\n'));
  writeFileAtomic(
    path.join(out, 'summary.json'),
    `${JSON.stringify(
      {
        kit: manifest,
        environment,
        gpu,
        build,
        steps,
        totalSeconds: total,
        modelsNote: models?.note ?? null,
        check: check?.results ?? null,
        costCurve: curve ?? null,
        sweep: sweep ? { dir: 'sweep', plan, complete: sweep.complete, rows: sweep.rows.filter((r) => r.subtask === OVERALL) } : null,
      },
      null,
      1,
    )}\n`,
  );
  return file;
}
