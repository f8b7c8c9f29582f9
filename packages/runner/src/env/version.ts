import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import { captureEnvironment } from './environment.ts';

/** `trbench --version`: the package version and the checkout it runs from (what results record). */
export function versionLine(): string {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const env = captureEnvironment();
  const git =
    env.gitCommit === 'unknown' ? 'not a git checkout' : `git ${env.gitCommit.slice(0, 12)}${env.gitDirty ? ' with local changes' : ''}`;
  return `trbench ${version} (${git}; node ${env.node.replace(/^v/, '')})`;
}
