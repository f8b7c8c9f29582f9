import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../config/load.ts';
import { renderTables } from '../report/report-md.ts';
import { OVERALL } from '../report/summary.ts';
import { mergeRuns } from '../sweep/merge.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench merge <runDir...> --out DIR`: one run folder from the shards of a sweep. */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('merge the run folders of a sharded sweep (trbench run --shard) into one run folder with summary, reports and charts')
    .argument('<runDirs...>', 'run folders: the shards of one config (e.g. results/runs/default.shard-*)')
    .requiredOption('--out <dir>', 'folder the merged run is written to')
    .option('--allow-mixed-hardware', 'merge shards that ran on different hardware; speedups are then also reported per hardware group')
    .option('--overwrite', 'replace a merged run already in --out')
    .action((runDirs: string[], opts: { out: string; allowMixedHardware?: boolean; overwrite?: boolean }) =>
      runCommand(() => {
        const result = mergeRuns({ dirs: runDirs, out: opts.out, allowMixedHardware: opts.allowMixedHardware, overwrite: opts.overwrite });
        const { summary } = result;
        process.stdout.write(`${renderTables(summary)}\n\n`);
        if (result.groups.length > 1) {
          process.stdout.write('speedups per hardware group (overall rows):\n');
          for (const g of result.groups) {
            const rows = (g.summary?.rows ?? []).filter((r) => r.subtask === OVERALL && r.method !== 'ar');
            process.stdout.write(`  ${g.hardware.fingerprint} ${g.hardware.label} (${g.dirs.length} run folders)\n`);
            for (const r of rows)
              process.stdout.write(`    ${r.model} ${r.dataset} ${r.variant}: ${r.speedup === null ? '-' : `${r.speedup.toFixed(2)}×`}\n`);
          }
        }
        process.stdout.write(
          `merged ${runDirs.length} run folders: ${summary.records}/${summary.expectedRecords} question runs; ` +
            `wrote ${displayPath(path.join(result.dir, 'report.md'))}, report.csv, summary.json, run.json, records.jsonl and charts\n`,
        );
      }),
    );
}
