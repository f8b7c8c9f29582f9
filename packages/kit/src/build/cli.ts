// `npm run kit [-- --out DIR] [--xz-level N]`: writes the offline GPU kit (packages/kit/src/build/build-kit.ts).
import { repoRoot } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { buildKit } from './build-kit.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

try {
  const level = option('xz-level');
  if (level !== undefined && !/^[0-9]$/.test(level)) throw new TrbenchError(`--xz-level must be 0-9 (got ${JSON.stringify(level)})`);
  await buildKit({ repoRoot, out: option('out'), runtimeXzLevel: level === undefined ? undefined : Number(level) });
} catch (err) {
  if (!(err instanceof TrbenchError)) throw err;
  process.stderr.write(`npm run kit: ${err.message}\n`);
  process.exitCode = 2;
}
