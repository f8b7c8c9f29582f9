import { existsSync, statSync } from 'node:fs';
import { fromUserFolder } from '@trbench/assets';
import { Command } from 'commander';
import { registerAssetsCommand } from './commands/assets.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerCheckBackendCommand } from './commands/check-backend.ts';
import { registerConvertCommand } from './commands/convert.ts';
import { registerCorpusCommand } from './commands/corpus.ts';
import { registerDatastoreCommand } from './commands/datastore.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerGenerateCommand } from './commands/generate.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerMergeCommand } from './commands/merge.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerTuneCommand } from './commands/tune.ts';
import { versionLine } from './env/version.ts';

const program = new Command();
program
  .name('trbench')
  .description('Training-free speculative decoding research harness: Token Recycling and its baselines')
  .version(versionLine(), '-V, --version', 'print the version and the git commit trbench runs from')
  .option('--mirror <dir>', 'folder laid out like shared/assets to take models and datasets from (env TRBENCH_MIRROR)')
  .hook('preAction', (cmd) => {
    const given = cmd.opts().mirror as string | undefined;
    if (given === undefined) return;
    const mirror = fromUserFolder(given);
    if (!statSync(mirror, { throwIfNoEntry: false })?.isDirectory()) {
      process.stderr.write(`trbench: --mirror ${given}: ${existsSync(mirror) ? 'not a folder' : 'folder does not exist'}\n`);
      process.exit(2);
    }
    process.env.TRBENCH_MIRROR = mirror;
  });

// One command per file in commands/.
registerAssetsCommand(program);
registerGenerateCommand(program);
registerRunCommand(program);
registerReportCommand(program);
registerMergeCommand(program);
registerExportCommand(program);
registerImportCommand(program);
registerCheckCommand(program);
registerCheckBackendCommand(program);
registerTuneCommand(program);
registerCorpusCommand(program);
registerDatastoreCommand(program);
registerConvertCommand(program);

await program.parseAsync(process.argv);
