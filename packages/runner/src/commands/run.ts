import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import type { Command } from 'commander';
import { displayPath, readSweepConfig } from '../config/load.ts';
import { renderTables } from '../report/report-md.ts';
import { losslessFailures, OVERALL } from '../report/summary.ts';
import { hasBatchAxis, runBatchBench } from '../sweep/batch-run.ts';
import { dryRunPlan, renderDryRun } from '../sweep/dry-run.ts';
import { RUNS_DIR, runBench } from '../sweep/run.ts';
import { parseShard } from '../sweep/shard.ts';
import { positiveInt, runCommand } from './cli-helpers.ts';

/** `trbench run <config>`: a sweep of models × datasets × methods × parameters, with report and charts. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a sweep config (configs/*.yaml): records, summary.json, report.md/.csv and PNG charts')
    .argument('<config>', 'sweep config file (YAML or JSON)')
    .option('--name <name>', "run name: results folder <out>/<name> (default: the config's name)")
    .option('--resume', 'continue an interrupted run: finished records are kept, nothing is duplicated')
    .option('--overwrite', 'replace an existing run of the same name (records, summary, reports, charts)')
    .option('--out <dir>', 'folder that holds run folders (default results/runs)')
    .option('--limit <n>', 'at most n questions per subtask of every dataset (quick tries)')
    .option(
      '--shard <I/N|auto>',
      'run shard I of N (1-based) of the plan; auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (docs/sharding.md)',
    )
    .option(
      '--strict-numerics',
      'numeric divergences from plain decoding (floating-point tie flips) fail the run too (config: strictNumerics)',
    )
    .option(
      '--dry-run',
      'print the plan (models and where their files are looked for, questions, turns, runs, files methods read) and exit; opens, downloads and generates nothing',
    )
    .option('--shard-count <n>', 'with --shard auto on a Kubernetes Indexed Job: the number of shards (the completions)')
    .action(
      (
        config: string,
        opts: {
          name?: string;
          resume?: boolean;
          overwrite?: boolean;
          out?: string;
          limit?: string;
          shard?: string;
          shardCount?: string;
          strictNumerics?: boolean;
          dryRun?: boolean;
        },
      ) =>
        runCommand(async (signal) => {
          const t0 = performance.now();
          const limit = opts.limit === undefined ? undefined : positiveInt('--limit', opts.limit);
          if (opts.dryRun) {
            const plan = await readSweepConfig(config, { limit });
            const dir = path.resolve(opts.out ?? RUNS_DIR, opts.name ?? plan.name);
            process.stdout.write(renderDryRun(dryRunPlan(plan), displayPath(dir)));
            return;
          }
          if (opts.shardCount !== undefined && opts.shard === undefined) throw new TrbenchError('--shard-count goes with --shard auto');
          const shard =
            opts.shard === undefined
              ? undefined
              : parseShard(
                  opts.shard,
                  process.env,
                  opts.shardCount === undefined ? undefined : positiveInt('--shard-count', opts.shardCount),
                );
          if (hasBatchAxis(config)) {
            // A `batch` axis: requests decoded together (sweep/batch-sweep.ts), its own records and report.
            const { run, files } = await runBatchBench({
              config,
              name: opts.name,
              out: opts.out,
              limit,
              overwrite: opts.overwrite,
              resume: opts.resume,
              signal,
            });
            process.stdout.write(`wrote ${files.map((f) => displayPath(f)).join(', ')}\n`);
            const logic = run.questions.filter((q) => q.lossless && !q.lossless.identical && q.lossless.kind !== 'numeric');
            if (logic.length > 0) {
              process.stderr.write(
                `trbench: not lossless: ${[...new Set(logic.map((q) => `${q.model}/${q.dataset}/B=${q.batch}/${q.variant}`))].join(', ')}\n`,
              );
              process.exitCode = 3;
            }
            return;
          }
          const result = await runBench({
            config,
            name: opts.name,
            resume: opts.resume,
            overwrite: opts.overwrite,
            out: opts.out,
            limit,
            shard,
            signal,
          });
          const { dir, summary, files } = result;
          process.stdout.write(`\n${renderTables(summary)}\n\n`);
          const charts = files.filter((f) => f.endsWith('.png')).length;
          process.stdout.write(
            `wrote ${displayPath(path.join(dir, 'report.md'))}, report.csv, summary.json, run.json, records.jsonl and ${charts} charts in ${displayPath(path.join(dir, 'charts'))}\n` +
              `${summary.records} question runs (${summary.measuredSeconds.toFixed(1)} s measured), ${((performance.now() - t0) / 1000).toFixed(1)} s wall\n`,
          );
          // Only logic divergences (a method committing a token the model did not predict) fail, unless strict.
          const strict = opts.strictNumerics === true || summary.config.strictNumerics === true;
          const failures = summary.rows.filter((r) => r.subtask === OVERALL && r.lossless && losslessFailures(r.lossless, strict) > 0);
          if (failures.length > 0) {
            process.stderr.write(`trbench: not lossless: ${failures.map((r) => `${r.model}/${r.dataset}/${r.variant}`).join(', ')}\n`);
            process.exitCode = 3;
          }
        }),
    );
}
