// Cached files trbench made are checked when opened: a flipped byte or a truncated file is refused with
// the file's name and how to get it again, without re-hashing an unchanged file on every open.
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stampFile, stampPath, verifyStampedFile } from './file-stamp.ts';
import { sha256Bytes } from './hash.ts';
import { resolveModel } from './models.ts';

const saved = process.env.TRBENCH_CACHE;
afterEach(() => {
  if (saved === undefined) delete process.env.TRBENCH_CACHE;
  else process.env.TRBENCH_CACHE = saved;
});

/** Overwrites 4 bytes in the middle, keeping the size (and restoring the mtime when asked). */
function flip(file: string, keepMtime = false): void {
  const st = statSync(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, Math.floor(st.size / 2));
  closeSync(fd);
  if (keepMtime) utimesSync(file, st.atime, st.mtime);
}

describe('stampFile / verifyStampedFile', () => {
  it('trusts an unchanged file, re-hashes a touched one, refuses a changed or truncated one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-stamp-'));
    const file = path.join(dir, 'model.bin');
    const bytes = Buffer.alloc(1 << 16, 7);
    writeFileSync(file, bytes);
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds, so that flip() can restore it exactly
    expect(await verifyStampedFile(file, 'fix it')).toBeNull(); // no stamp yet
    expect(await stampFile(file, sha256Bytes(bytes))).toBe(sha256Bytes(bytes));
    expect(existsSync(stampPath(file))).toBe(true);
    expect(await verifyStampedFile(file, 'fix it')).toBe(sha256Bytes(bytes));

    // Same size and mtime: the stamp is trusted without reading the file (that is the point of it).
    flip(file, true);
    expect(await verifyStampedFile(file, 'fix it')).toBe(sha256Bytes(bytes));

    // Touched, same content: hashed, accepted, the new mtime remembered.
    writeFileSync(file, bytes);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await verifyStampedFile(file, 'fix it')).toBe(sha256Bytes(bytes));
    expect(JSON.parse(readFileSync(stampPath(file), 'utf8')).mtimeMs).toBe(statSync(file).mtimeMs);

    flip(file);
    await expect(verifyStampedFile(file, 'fix it')).rejects.toThrow(
      new RegExp(`^${file} is damaged: sha256 [0-9a-f]{64}, but trbench wrote ${sha256Bytes(bytes)}; fix it$`),
    );
    truncateSync(file, 1000);
    await expect(verifyStampedFile(file, 'fix it')).rejects.toThrow(`${file} is damaged: 1000 bytes, but trbench wrote 65536`);
  });
});

describe('the cached stories260K.gguf', () => {
  it('is checked when resolved: a 4-byte flip or a truncation names the file and how to make it again', async () => {
    process.env.TRBENCH_CACHE = path.join(mkdtempSync(path.join(tmpdir(), 'trbench-stamp-')), 'cache');
    const good = await resolveModel('stories260K');
    expect(existsSync(stampPath(good.path))).toBe(true);
    expect((await resolveModel('stories260K')).sha256).toBe(good.sha256);
    const original = readFileSync(good.path);

    flip(good.path);
    const fix = 'delete it and run `npx trbench assets` to convert it again';
    await expect(resolveModel('stories260K')).rejects.toThrow(`${good.path} is damaged: sha256 `);
    await expect(resolveModel('stories260K')).rejects.toThrow(fix);

    truncateSync(good.path, original.length - 4096);
    await expect(resolveModel('stories260K')).rejects.toThrow(
      `${good.path} is damaged: ${original.length - 4096} bytes, but trbench wrote ${original.length}`,
    );

    // A cache made before stamps existed: checked against a fresh conversion, then stamped.
    writeFileSync(good.path, original);
    truncateSync(stampPath(good.path), 0);
    expect((await resolveModel('stories260K')).sha256).toBe(good.sha256);
    flip(good.path);
    writeFileSync(stampPath(good.path), '');
    await expect(resolveModel('stories260K')).rejects.toThrow(`but the conversion gives ${good.sha256}; ${fix}`);
  });
});
