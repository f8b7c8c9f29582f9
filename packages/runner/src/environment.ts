import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { repoRoot } from '@trbench/assets';

/** Facts about the machine and checkout that every result carries. */
export interface Environment {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  gitCommit: string;
  gitDirty: boolean;
}

let cached: Environment | null = null;

export function captureEnvironment(): Environment {
  if (cached) return cached;
  let gitCommit = 'unknown';
  let gitDirty = false;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    gitDirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() !== '';
  } catch {
    // not a git checkout (e.g. an npm tarball)
  }
  const cpus = os.cpus();
  cached = {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    gitCommit,
    gitDirty,
  };
  return cached;
}
