import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { cacheDir } from './paths.ts';

/** sha256 of a file, hex; streamed so large models do not need to fit in memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * sha256 of a file, remembered in the cache keyed by absolute path, size and mtime, so that a
 * multi-gigabyte model is hashed once rather than on every run.
 */
export async function sha256FileCached(file: string): Promise<string> {
  const st = statSync(file);
  const abs = path.resolve(file);
  const key = sha256Bytes(`${abs}\0${st.size}\0${st.mtimeMs}`);
  const memo = path.join(cacheDir(), 'sha256', `${key}.txt`);
  try {
    const v = readFileSync(memo, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(v)) return v;
  } catch {
    // not cached yet
  }
  const digest = await sha256File(file);
  writeFileAtomic(memo, `${digest}\n`);
  return digest;
}
