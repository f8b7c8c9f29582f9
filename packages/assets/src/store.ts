import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TrbenchError, throwIfInterrupted } from '@trbench/core';
import { sha256FileCached } from './hash.ts';
import { cacheDir, mirrorDir } from './paths.ts';
import { generationProgress } from './progress.ts';

/** A public file trbench can use but never commits. */
export interface RemoteFile {
  /** Path relative to a mirror root and to the cache's `files/` folder. */
  relPath: string;
  /** Public download URL. */
  url: string;
  sha256: string;
}

/** Where a file came from on this call. */
export type FileOrigin = 'cache' | 'mirror' | 'download';

async function verified(file: string, expected: string, what: string): Promise<void> {
  const actual = await sha256FileCached(file);
  if (actual !== expected) {
    throw new TrbenchError(`checksum mismatch for ${what}: ${file} has sha256 ${actual}, expected ${expected}`);
  }
}

/**
 * Makes a file available in the cache: already cached (checksum verified), else copied from the mirror
 * folder (`TRBENCH_MIRROR`), else downloaded from its public URL. Always checked against its sha256;
 * nothing unverified is left in the cache.
 */
export async function ensureFile(file: RemoteFile): Promise<{ path: string; origin: FileOrigin }> {
  const target = path.join(cacheDir(), 'files', file.relPath);
  if (existsSync(target)) {
    try {
      await verified(target, file.sha256, file.relPath);
      return { path: target, origin: 'cache' };
    } catch {
      rmSync(target, { force: true }); // a stale or damaged cache entry is fetched again
    }
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const mirror = mirrorDir();
  if (mirror) {
    if (!statSync(mirror, { throwIfNoEntry: false })?.isDirectory())
      throw new TrbenchError(`mirror folder ${mirror} (--mirror or TRBENCH_MIRROR) does not exist or is not a folder`);
    const source = path.join(mirror, file.relPath);
    if (existsSync(source)) {
      await verified(source, file.sha256, file.relPath);
      const tmp = `${target}.tmp-${process.pid}`;
      copyFileSync(source, tmp);
      renameSync(tmp, target);
      return { path: target, origin: 'mirror' };
    }
  }
  const tmp = `${target}.download`;
  const hint = mirror
    ? `the mirror ${mirror} has no ${file.relPath} either`
    : `pass --mirror DIR (or TRBENCH_MIRROR) pointing to a folder that holds ${file.relPath}`;
  await downloadTo(file.url, tmp, hint);
  try {
    await verified(tmp, file.sha256, file.url);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, target);
  return { path: target, origin: 'download' };
}

/** Reads a file that `ensureFile` made available. */
export async function readEnsured(file: RemoteFile): Promise<Buffer> {
  return readFileSync((await ensureFile(file)).path);
}

/**
 * Streams a URL to a file (large models never sit in memory) with progress (MB, rate, ETA) when the size is
 * known; removes the partial file on failure. `signal` stops it (InterruptedError, nothing left behind).
 */
export async function downloadTo(url: string, file: string, hint: string, signal?: AbortSignal): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal });
  } catch (err) {
    throwIfInterrupted(signal);
    throw new TrbenchError(`cannot download ${url} (${(err as Error).message}); ${hint}`);
  }
  if (!response.ok || !response.body) throw new TrbenchError(`download of ${url} failed: HTTP ${response.status}; ${hint}`);
  const total = Number(response.headers.get('content-length'));
  const progress = total > 0 ? generationProgress(`downloading ${path.basename(file).replace(/\.(download|tmp)$/, '')}`) : null;
  let received = 0;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  if (progress) {
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      progress(Math.min(received, total), total);
    });
  }
  try {
    await pipeline(body, createWriteStream(file), { signal });
  } catch (err) {
    rmSync(file, { force: true });
    throwIfInterrupted(signal);
    throw new TrbenchError(`download of ${url} broke off (${(err as Error).message}); ${hint}`);
  } finally {
    progress?.stop();
  }
}
