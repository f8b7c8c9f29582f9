import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { repoRoot } from '@trbench/assets';

/** Facts about the machine and checkout that every result carries. */
export interface Environment {
  cpu: string;
  /**
   * The CPU's vector extensions that change kernel speed (e.g. `avx2+avx512f+fma`; Linux only, null where
   * unknown): the same model name can come with or without AVX2 / AVX-512 (virtual machines hide some).
   */
  simd?: string | null;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  gitCommit: string;
  gitDirty: boolean;
}

let cached: Environment | null = null;

const SIMD_FLAGS = ['avx2', 'avx512f', 'fma', 'asimd', 'sve'];

/** The vector extensions of SIMD_FLAGS the first CPU lists in /proc/cpuinfo (null off Linux). */
function simdFlags(): string | null {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1];
    if (line === undefined) return null;
    const have = new Set(line.split(/\s+/));
    return SIMD_FLAGS.filter((f) => have.has(f)).join('+') || 'none';
  } catch {
    return null;
  }
}

function gitState(): { gitCommit: string; gitDirty: boolean } {
  // A bundled build (the offline kit) has no checkout: it carries the commit it was built from.
  const built = process.env.TRBENCH_GIT_COMMIT;
  if (built) return { gitCommit: built, gitDirty: process.env.TRBENCH_GIT_DIRTY === '1' };
  try {
    const gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const gitDirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() !== '';
    return { gitCommit, gitDirty };
  } catch {
    return { gitCommit: 'unknown', gitDirty: false }; // not a git checkout (e.g. an npm tarball)
  }
}

export function captureEnvironment(): Environment {
  if (cached) return cached;
  const { gitCommit, gitDirty } = gitState();
  const cpus = os.cpus();
  cached = {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    simd: simdFlags(),
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    gitCommit,
    gitDirty,
  };
  return cached;
}
