import { Command } from 'commander';
import { registerAssetsCommand } from './commands/assets.ts';
import { registerGenerateCommand } from './commands/generate.ts';

const program = new Command();
program
  .name('trbench')
  .description('Training-free speculative decoding research harness: Token Recycling and its baselines')
  .option('--mirror <dir>', 'folder laid out like shared/assets to take models and datasets from (env TRBENCH_MIRROR)')
  .hook('preAction', (cmd) => {
    const mirror = cmd.opts().mirror as string | undefined;
    if (mirror) process.env.TRBENCH_MIRROR = mirror;
  });

// One command per file in commands/.
registerAssetsCommand(program);
registerGenerateCommand(program);

await program.parseAsync(process.argv);
