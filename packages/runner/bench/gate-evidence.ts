// Evidence that `trbench check` catches a real slowdown and does not cry wolf, on this machine:
// one baseline run of the CI sweep's gate part, then N rounds of (an unchanged run, a run in which one
// method does a fixed fraction more CPU work per step, by a busy wait); each run is checked against the
// baseline, on wall-time and on CPU-time speedups. Writes a markdown report (default
// results/reports/gate-evidence.md). Timing: run it alone, under the shared lock:
//
//   flock /work/timing.lock npx tsx packages/runner/bench/gate-evidence.ts [--runs 10] [--slow tr] [--fraction 0.15]
//       [--config configs/ci.yaml] [--methods tr] [--datasets stories] [--out results/reports/gate-evidence.md]
//
// The runs use the CI config (model, questions, repeats, tokens) with only the listed methods (AR is always
// there) and datasets, so that 21 runs fit in about 15 minutes on stories260K (more on a twin: the report says
// how long it took); each checked row is measured exactly as in the CI sweep. Switching the CI's gated model
// in configs/ci.yaml switches this evidence too.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, writeFileAtomic } from '@trbench/assets';
import { parseDocument } from 'yaml';
import { captureEnvironment } from '../src/env/environment.ts';
import { type Baseline, baselineOf, type CheckLine, checkSummary, DEFAULT_TOLERANCES, type SpeedupMetric } from '../src/report/check.ts';
import { OVERALL, type Summary } from '../src/report/summary.ts';
import { markdownTable } from '../src/report/table.ts';
import { lineProgress } from '../src/sweep/progress.ts';
import { runBench } from '../src/sweep/run.ts';
import { SlowDrafter } from './slow-drafter.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    slow: { type: 'string', default: 'tr' },
    fraction: { type: 'string', default: '0.15' },
    config: { type: 'string', default: path.join(repoRoot, 'configs', 'ci.yaml') },
    methods: { type: 'string', default: 'tr' },
    datasets: { type: 'string', default: 'stories' },
    out: { type: 'string', default: path.join(repoRoot, 'results', 'reports', 'gate-evidence.md') },
  },
});
const runs = Number(args.runs);
const fraction = Number(args.fraction);
const slowMethod = String(args.slow);
const methods = String(args.methods).split(',');
if (!methods.includes(slowMethod)) throw new Error(`--slow ${slowMethod} must be one of --methods ${methods.join(',')}`);

// The CI config with only the chosen methods, each with every entry the config gives it (so the rows
// measured are the rows CI checks, e.g. TR's 2.2.2 and chain:3 on the twin), default parameters when it lists none.
const work = mkdtempSync(path.join(os.tmpdir(), 'trbench-gate-'));
const doc = parseDocument(readFileSync(String(args.config), 'utf8'));
const configured = (doc.toJS().methods ?? []) as { method: string }[];
doc.set(
  'methods',
  methods.flatMap((method) => {
    const entries = configured.filter((m) => m.method === method);
    return entries.length > 0 ? entries : [{ method }];
  }),
);
const datasets = String(args.datasets).split(',');
const entries = (doc.toJS().datasets as { dataset: string; id?: string }[]).filter((d) => datasets.includes(d.id ?? d.dataset));
if (entries.length === 0) throw new Error(`--datasets ${args.datasets}: none of them is in ${args.config}`);
doc.set('datasets', entries);
doc.set('name', 'gate-evidence');
const config = path.join(work, 'gate.yaml');
writeFileSync(config, doc.toString());

const quiet = lineProgress({ write: () => true } as unknown as NodeJS.WritableStream);
const loadavg = () => os.loadavg()[0].toFixed(2);

interface Run {
  kind: 'baseline' | 'unchanged' | 'slowed';
  summary: Summary;
  seconds: number;
  load: string;
}

async function sweep(kind: Run['kind'], i: number): Promise<Run> {
  const load = loadavg();
  const t0 = performance.now();
  const { summary } = await runBench({
    config,
    out: work,
    name: `${kind}-${i}`,
    progress: quiet,
    wrapDrafter: kind === 'slowed' ? (unit, d) => (unit.variant.method === slowMethod ? new SlowDrafter(d, fraction) : d) : undefined,
  });
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write(`${kind} ${i}: ${seconds.toFixed(1)} s, load ${load}\n`);
  rmSync(path.join(work, `${kind}-${i}`), { recursive: true, force: true });
  return { kind, summary, seconds, load };
}

const started = new Date();
const baselineRun = await sweep('baseline', 0);
const baseline: Baseline = baselineOf(baselineRun.summary);
const measured: Run[] = [];
for (let i = 1; i <= runs; i++) {
  // Alternate which goes first, so that drift over the session does not favour one kind.
  const order: Run['kind'][] = i % 2 === 1 ? ['unchanged', 'slowed'] : ['slowed', 'unchanged'];
  for (const kind of order) measured.push(await sweep(kind, i));
}

const metrics: SpeedupMetric[] = ['cpu', 'wall'];
const speedupLines = (run: Run, metric: SpeedupMetric): CheckLine[] =>
  checkSummary(run.summary, baseline, DEFAULT_TOLERANCES, metric).lines.filter((l) => l.metric.startsWith('speedup'));
const otherFailures = (run: Run): CheckLine[] =>
  checkSummary(run.summary, baseline, DEFAULT_TOLERANCES, 'cpu').lines.filter((l) => !l.ok && !l.metric.startsWith('speedup'));

function row(run: Run, i: number): string[] {
  const cells: string[] = [String(i), run.kind, `${run.seconds.toFixed(0)} s`, run.load];
  for (const metric of metrics) {
    const lines = speedupLines(run, metric);
    const slowLines = lines.filter((l) => l.variant.startsWith(slowMethod));
    const failed = lines.filter((l) => !l.ok);
    cells.push(slowLines.map((l) => `${slowLines.length > 1 ? `${l.variant} ` : ''}${l.dataset}: ${l.current}`).join('; '));
    cells.push(failed.length === 0 ? 'pass' : `FAIL (${failed.map((l) => `${l.variant} ${l.dataset}`).join(', ')})`);
  }
  const other = otherFailures(run);
  cells.push(other.length === 0 ? 'ok' : other.map((l) => `${l.variant} ${l.dataset} ${l.metric}`).join(', '));
  return cells;
}

const count = (kind: Run['kind'], metric: SpeedupMetric) =>
  measured.filter((r) => r.kind === kind && speedupLines(r, metric).some((l) => !l.ok)).length;
const caughtOnSlow = (metric: SpeedupMetric) =>
  measured.filter((r) => r.kind === 'slowed' && speedupLines(r, metric).some((l) => !l.ok && l.variant.startsWith(slowMethod))).length;

const env = captureEnvironment();
const s = baselineRun.summary;
const model = s.models[0];
const lines: string[] = [];
lines.push('# CI gate evidence: does `trbench check` catch a 15 % slowdown, and only that?', '');
lines.push(
  `Generated by \`packages/runner/bench/gate-evidence.ts\` (${started.toISOString()}, ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min): ` +
    `one baseline run, then ${runs} rounds of an unchanged run and a run in which every decoding step of \`${slowMethod}\` costs ` +
    `${(100 * fraction).toFixed(0)} % more CPU work (\`bench/slow-drafter.ts\`: a busy wait on the process CPU clock, so preemption cannot ` +
    'inflate it; same drafts, so the same tokens and MAT; prefill not slowed). Each run is checked against ' +
    `the baseline with the gate's rule: a speedup fails when its whole 95 % interval lies below baseline × ${1 - DEFAULT_TOLERANCES.speedup}. ` +
    'Both speedups are paired per question against AR; "cpu" uses the process CPU time, "wall" the wall clock.',
  '',
);
lines.push(
  `- sweep: \`${path.relative(repoRoot, String(args.config))}\` with methods ${['ar', ...methods].join(', ')}: ` +
    `${s.datasets.map((d) => `${d.id} (${d.questions} questions)`).join(', ')}, ${s.repeats} repeats, at most ${s.datasets[0]?.maxNewTokens} new tokens`,
  `- model ${model.id}, sha256 ${model.sha256}, ${model.backendInfo?.name} ${model.backendInfo?.version}, ${model.threads} thread(s)`,
  `- ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, Node ${env.node}, git ${env.gitCommit.slice(0, 12)}${env.gitDirty ? ' (uncommitted changes)' : ''}; ` +
    `load average at each run's start in the table (the machine is shared)`,
  '',
);
lines.push('## Result', '');
lines.push(
  markdownTable(
    ['gate on', `slowed runs caught (${slowMethod} row)`, 'unchanged runs with an alarm'],
    metrics.map((m) => [
      m === 'cpu' ? 'CPU-time speedup' : 'wall-time speedup',
      `${caughtOnSlow(m)}/${runs}`,
      `${count('unchanged', m)}/${runs}`,
    ]),
    ['left', 'right', 'right'],
  ),
  '',
);
lines.push('Baseline speedups (overall rows):', '');
lines.push(
  markdownTable(
    ['dataset', 'method', 'wall-time speedup [95 % CI]', 'CPU-time speedup [95 % CI]'],
    s.rows
      .filter((r) => r.subtask === OVERALL && r.method !== 'ar')
      .map((r) => [
        r.dataset,
        r.variant,
        `${r.speedup?.toFixed(3)} [${r.speedupCi?.low?.toFixed(3)}, ${r.speedupCi?.high?.toFixed(3)}]`,
        `${r.cpuSpeedup?.toFixed(3)} [${r.cpuSpeedupCi?.low?.toFixed(3)}, ${r.cpuSpeedupCi?.high?.toFixed(3)}]`,
      ]),
    ['left', 'left', 'right', 'right'],
  ),
  '',
);
lines.push('## Runs', '');
lines.push(
  markdownTable(
    [
      'round',
      'run',
      'time',
      'load',
      `cpu: ${slowMethod} speedup [95 % CI]`,
      'cpu gate',
      `wall: ${slowMethod} speedup [95 % CI]`,
      'wall gate',
      'MAT, lossless',
    ],
    measured.map((r) => row(r, Number(measured.indexOf(r) >> 1) + 1)),
    ['right', 'left', 'right', 'right', 'left', 'left', 'left', 'left', 'left'],
  ),
  '',
);
mkdirSync(path.dirname(String(args.out)), { recursive: true });
writeFileAtomic(String(args.out), `${lines.join('\n')}\n`);
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${lines.slice(lines.indexOf('## Result')).join('\n')}\nwrote ${args.out}\n`);
