import { ensureFile, FILES, resolveModel } from '@trbench/assets';
import type { Command } from 'commander';
import { runCommand } from './cli-helpers.ts';

/** `trbench assets`: makes the default model and the datasets ready in the cache. */
export function registerAssetsCommand(program: Command): void {
  program
    .command('assets')
    .description('make the default model (stories260K, converted to GGUF) and the datasets ready in the cache')
    .action(() =>
      runCommand(async () => {
        const model = await resolveModel('stories260K');
        process.stdout.write(`model stories260K  ${model.path}  sha256 ${model.sha256}\n`);
        for (const file of [FILES.specBench, FILES.mbpp]) {
          const got = await ensureFile(file);
          process.stdout.write(`dataset ${file.relPath}  ${got.path}  (${got.origin}, sha256 ${file.sha256})\n`);
        }
      }),
    );
}
