import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { shellQuote } from './llama-source.ts';

export interface PackedRuntime {
  /** `node-v20.20.2-linux-x64.xz` */
  fileName: string;
  version: string;
  /** sha256 of the binary as shipped (after stripping debug info), i.e. of what run.sh unpacks. */
  sha256: string;
  /** sha256 of process.execPath as found. */
  sourceSha256: string;
  stripped: boolean;
}

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The running Node.js (process.execPath) for linux-x64, debug info stripped where `strip` exists (the
 * code is unchanged), xz-compressed into `destDir`. Compressing ~96 MB takes minutes at level 6, so the
 * result is kept in `cacheDir` per binary and level.
 */
export async function packRuntime(destDir: string, cacheDir: string, xzLevel: number): Promise<PackedRuntime> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new TrbenchError(`the kit carries a linux-x64 Node.js: build it on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const exec = process.execPath;
  const sourceSha256 = await sha256File(exec);
  const fileName = `node-${process.version}-linux-x64.xz`;
  const key = `node-${sourceSha256.slice(0, 16)}-xz${xzLevel}`;
  const cachedXz = path.join(cacheDir, `${key}.xz`);
  const cachedSha = path.join(cacheDir, `${key}.sha256`);
  mkdirSync(cacheDir, { recursive: true });
  const stripped = hasTool('strip');
  if (!existsSync(cachedXz) || !existsSync(cachedSha)) {
    const plain = path.join(cacheDir, `${key}.bin`);
    if (stripped) execFileSync('strip', ['--strip-debug', '-o', plain, exec], { stdio: 'ignore' });
    else copyFileSync(exec, plain);
    const sha = await sha256File(plain);
    execFileSync('bash', ['-c', `xz -${xzLevel} -T1 -c ${shellQuote(plain)} > ${shellQuote(`${cachedXz}.tmp`)}`], { stdio: 'ignore' });
    renameSync(`${cachedXz}.tmp`, cachedXz);
    execFileSync('bash', ['-c', `printf '%s  node\\n' ${sha} > ${shellQuote(cachedSha)}`]);
    rmSync(plain, { force: true });
  }
  mkdirSync(destDir, { recursive: true });
  copyFileSync(cachedXz, path.join(destDir, fileName));
  copyFileSync(cachedSha, path.join(destDir, 'node.sha256'));
  const sha256 = execFileSync('cat', [cachedSha]).toString().split(' ')[0];
  return { fileName, version: process.version, sha256, sourceSha256, stripped };
}
