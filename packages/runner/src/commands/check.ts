import { writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import type { Command } from 'commander';
import { checkBatchSummary, readBatchSummary } from '../report/batch-check.ts';
import {
  baselineOf,
  checkSummary,
  DEFAULT_TOLERANCES,
  readBaseline,
  readSummary,
  renderCheck,
  type SpeedupMetric,
} from '../report/check.ts';
import { runCommand } from './cli-helpers.ts';

function fraction(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (!Number.isFinite(x) || x < 0 || x >= 1)
    throw new TrbenchError(`${flag} must be a fraction in [0, 1), e.g. 0.01 (got ${JSON.stringify(raw)})`);
  return x;
}

/** `trbench check`: CI regression gate of a run's summary against a committed baseline. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'compare a run summary with a baseline; exit 1 on a lossless failure (a logic divergence), a MAT drop > 1 %, or a speedup whose 95 % interval lies wholly below baseline − 10 %',
    )
    .requiredOption('--summary <file>', 'summary.json of the run to check')
    .option('--baseline <file>', 'baseline to compare with', 'results/baselines/ci.json')
    .option('--update', 'write the summary as the new baseline instead of checking (on purpose only)')
    .option('--mat-tolerance <fraction>', 'largest allowed relative MAT drop', String(DEFAULT_TOLERANCES.mat))
    .option(
      '--speedup-tolerance <fraction>',
      'fail when the whole 95 % interval of an overall speedup lies below baseline × (1 − fraction)',
      String(DEFAULT_TOLERANCES.speedup),
    )
    .option(
      '--speedup-metric <metric>',
      'wall: the paired speedup on wall time; cpu: on process CPU time (less noise on a shared machine)',
      'wall',
    )
    .option('--all', 'print every check, not only the regressions')
    .option('--strict-numerics', 'numeric divergences from plain decoding (floating-point tie flips) fail too, not only logic ones')
    .action(
      (opts: {
        summary: string;
        baseline: string;
        update?: boolean;
        matTolerance?: string;
        speedupTolerance?: string;
        speedupMetric: string;
        all?: boolean;
        strictNumerics?: boolean;
      }) =>
        runCommand(() => {
          // A batched run's batch-summary.json: checked per batch size (report/batch-check.ts).
          const batched = opts.summary.endsWith('.json') ? readBatchSummary(opts.summary) : null;
          if (batched) {
            if (opts.update) {
              writeFileAtomic(opts.baseline, `${JSON.stringify(batched, null, 2)}\n`);
              process.stdout.write(`wrote ${opts.baseline} (${batched.rows.length} batched rows from ${opts.summary})\n`);
              return;
            }
            const metric = opts.speedupMetric === 'cpu' ? 'cpu' : 'wall';
            const tolerances = {
              mat: fraction('--mat-tolerance', opts.matTolerance, DEFAULT_TOLERANCES.mat),
              speedup: fraction('--speedup-tolerance', opts.speedupTolerance, DEFAULT_TOLERANCES.speedup),
            };
            const base = opts.baseline === 'results/baselines/ci.json' ? null : readBatchSummary(opts.baseline);
            const lines = checkBatchSummary(batched, base, tolerances, metric, opts.strictNumerics === true);
            for (const l of lines)
              if (!l.ok || opts.all) process.stdout.write(`${l.ok ? 'ok  ' : 'FAIL'} ${l.row} ${l.check}: ${l.detail}\n`);
            const failed = lines.filter((l) => !l.ok).length;
            process.stdout.write(
              `${lines.length - failed}/${lines.length} batched checks passed${base ? '' : ' (no batch baseline given: lossless only)'}\n`,
            );
            if (failed > 0) process.exitCode = 1;
            return;
          }
          const summary = readSummary(opts.summary);
          if (opts.update) {
            if (!summary.complete)
              throw new TrbenchError(
                `${opts.summary}: the run is incomplete (${summary.records}/${summary.expectedRecords}); finish it with --resume first`,
              );
            const baseline = baselineOf(summary);
            writeFileAtomic(opts.baseline, `${JSON.stringify(baseline, null, 2)}\n`);
            process.stdout.write(`wrote ${opts.baseline} (${baseline.rows.length} rows from ${opts.summary})\n`);
            return;
          }
          const tolerances = {
            mat: fraction('--mat-tolerance', opts.matTolerance, DEFAULT_TOLERANCES.mat),
            speedup: fraction('--speedup-tolerance', opts.speedupTolerance, DEFAULT_TOLERANCES.speedup),
          };
          if (opts.speedupMetric !== 'wall' && opts.speedupMetric !== 'cpu')
            throw new TrbenchError(`--speedup-metric: expected wall or cpu (got ${JSON.stringify(opts.speedupMetric)})`);
          const metric: SpeedupMetric = opts.speedupMetric;
          const { lines, notes } = checkSummary(summary, readBaseline(opts.baseline), tolerances, metric, opts.strictNumerics === true);
          for (const note of notes) process.stdout.write(`note: ${note}\n`);
          const failed = lines.filter((l) => !l.ok);
          const table = renderCheck(lines, Boolean(opts.all));
          if (table) process.stdout.write(`${table}\n\n`);
          process.stdout.write(
            failed.length === 0
              ? `check passed: ${lines.length} checks against ${opts.baseline}\n`
              : `check FAILED: ${failed.length} of ${lines.length} checks regressed against ${opts.baseline}\n`,
          );
          if (failed.length > 0) process.exitCode = 1;
        }),
    );
}
