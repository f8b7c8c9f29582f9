import path from 'node:path';
import type { Command } from 'commander';
import { writeReport } from '../report/report.ts';
import { renderTables } from '../report/report-md.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench report <runDir>`: re-renders summary, report and charts from a run folder's records. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description("rewrite a run's summary.json, report.md, report.csv and charts from its records")
    .argument('<runDir>', 'run folder (results/runs/<name>)')
    .action((runDir: string) =>
      runCommand(() => {
        const { summary, files } = writeReport(path.resolve(runDir));
        process.stdout.write(
          `${renderTables(summary)}\n\nwrote ${files.length} files in ${runDir}${summary.complete ? '' : ' (incomplete run)'}\n`,
        );
      }),
    );
}
