import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../config/load.ts';
import { renderTables } from '../report/report-md.ts';
import { importSpecBench } from '../spec-bench/spec-bench-import.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench import spec-bench FILES… --out DIR`: a run folder from Spec-Bench answer files. */
export function registerImportCommand(program: Command): void {
  const imp = program.command('import').description('read results made elsewhere into a run folder');
  imp
    .command('spec-bench')
    .description("Spec-Bench answer files (e.g. from the paper's Python code) → a run folder that report and merge treat like any other")
    .argument('<files...>', 'answer JSONL files, one per method; FILE.jsonl=NAME names the method variant (default: the file name)')
    .requiredOption('--out <dir>', 'run folder to write')
    .option('--baseline <name>', 'the variant of plain decoding (speed.py --base-path) (default ar)')
    .option('--model <id>', 'model id for answers without trbench provenance (default spec-bench)')
    .option('--hardware <text>', 'where those answers were measured, e.g. "A100-80GB, PyTorch 2.5.1" (their hardware group)')
    .option('--overwrite', 'replace a run already in --out')
    .action((files: string[], opts: { out: string; baseline?: string; model?: string; hardware?: string; overwrite?: boolean }) =>
      runCommand(() => {
        const { dir, summary } = importSpecBench({ files, ...opts });
        process.stdout.write(
          `${renderTables(summary)}\n\nimported ${summary.records} answers into ${displayPath(path.join(dir, 'report.md'))}, report.csv, summary.json, run.json, records.jsonl and charts\n`,
        );
      }),
    );
}
