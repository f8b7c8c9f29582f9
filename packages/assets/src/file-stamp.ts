import { readFileSync, statSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';
import { writeFileAtomic } from './atomic-write.ts';
import { sha256File } from './hash.ts';

/**
 * What trbench knows about a file it made (converted, generated or downloaded into the cache): its sha256
 * when written, and the size and mtime at which that sha256 was last confirmed. Kept next to the file as
 * `<file>.sha256.json`, so deleting a cached file's folder deletes its stamp too.
 */
interface FileStamp {
  schema: 'trbench-file-stamp/1';
  sha256: string;
  size: number;
  mtimeMs: number;
}

/** Path of a file's stamp. */
export function stampPath(file: string): string {
  return `${file}.sha256.json`;
}

function writeStamp(file: string, sha256: string): void {
  const st = statSync(file);
  const stamp: FileStamp = { schema: 'trbench-file-stamp/1', sha256, size: st.size, mtimeMs: st.mtimeMs };
  writeFileAtomic(stampPath(file), `${JSON.stringify(stamp)}\n`);
}

function readStamp(file: string): FileStamp | null {
  try {
    const s = JSON.parse(readFileSync(stampPath(file), 'utf8')) as FileStamp;
    return s.schema === 'trbench-file-stamp/1' && /^[0-9a-f]{64}$/.test(s.sha256) && Number.isInteger(s.size) ? s : null;
  } catch {
    return null;
  }
}

/**
 * Remembers the sha256 of a file trbench has just written (call it right after the atomic write): later
 * opens check the file against it with {@link verifyStampedFile}. Pass the digest when it is known (the
 * bytes were hashed in memory); otherwise the file is hashed. Returns the sha256.
 */
export async function stampFile(file: string, sha256?: string): Promise<string> {
  const digest = sha256 ?? (await sha256File(file));
  writeStamp(file, digest);
  return digest;
}

/**
 * Checks a stamped file before it is used and returns its sha256. A different size (a truncated or
 * appended file) fails at once; the same size and mtime as when last confirmed trusts the stamp without
 * reading the file (a multi-GB model is not re-hashed on every run); otherwise the file is hashed and must
 * match. A mismatch names the file, both hashes and `fix` (how to get the file again). Returns null when
 * the file has no stamp (made by an older trbench, or not by trbench): the caller decides.
 */
export async function verifyStampedFile(file: string, fix: string): Promise<string | null> {
  const stamp = readStamp(file);
  if (!stamp) return null;
  const st = statSync(file);
  if (st.size !== stamp.size) {
    throw new TrbenchError(`${file} is damaged: ${st.size} bytes, but trbench wrote ${stamp.size} (truncated or changed since); ${fix}`);
  }
  if (st.mtimeMs === stamp.mtimeMs) return stamp.sha256;
  const actual = await sha256File(file);
  if (actual !== stamp.sha256) {
    throw new TrbenchError(`${file} is damaged: sha256 ${actual}, but trbench wrote ${stamp.sha256}; ${fix}`);
  }
  writeStamp(file, actual); // same content, touched: remember the new mtime
  return actual;
}
