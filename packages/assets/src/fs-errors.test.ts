import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.ts';
import { blameFile, describeFsError } from './fs-errors.ts';

/** An error shaped like Node's for a failed system call (for causes a test cannot produce as root). */
function sysError(code: string, syscall: string, p?: string, dest?: string): Error {
  return Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, path: p, dest });
}

describe('describeFsError', () => {
  it('names what was tried, the path and the cause', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-fserr-'));
    expect(describeFsError(sysError('EACCES', 'open', path.join(dir, 'x')))).toBe(
      `cannot open ${path.join(dir, 'x')}: permission denied (EACCES)`,
    );
    expect(describeFsError(sysError('ENOSPC', 'write', '/data/records.jsonl'))).toBe(
      'cannot write /data/records.jsonl: no space left on device (ENOSPC)',
    );
    expect(describeFsError(sysError('EDQUOT', 'rename', '/d/a.tmp-1', '/d/a'))).toBe('cannot write /d/a: disk quota exceeded (EDQUOT)');
    expect(describeFsError(sysError('ENOSPC', 'write'))).toBe('cannot write a file: no space left on device (ENOSPC)');
  });

  it('finds the file that stands where a folder should be', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-fserr-'));
    writeFileSync(path.join(dir, 'f'), '');
    let err: unknown;
    try {
      mkdirSync(path.join(dir, 'f', 'a', 'b'), { recursive: true });
    } catch (e) {
      err = e;
    }
    expect(describeFsError(err)).toBe(
      `cannot create folder ${path.join(dir, 'f', 'a', 'b')}: ${path.join(dir, 'f')} is a file, not a folder (ENOTDIR)`,
    );
  });

  it('leaves other errors alone', () => {
    expect(describeFsError(new Error('boom'))).toBeNull();
    expect(describeFsError(new TypeError('x'))).toBeNull();
    expect(describeFsError(sysError('ECONNRESET', 'read', 'x'))).toBeNull();
    expect(describeFsError(undefined)).toBeNull();
  });
});

describe('writeFileAtomic errors', () => {
  it('name the target file, never the temporary sibling', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-fserr-'));
    mkdirSync(path.join(dir, 'target'));
    let err: unknown;
    try {
      writeFileAtomic(path.join(dir, 'target'), 'x'); // rename over a folder: EISDIR
    } catch (e) {
      err = e;
    }
    expect(describeFsError(err)).toMatch(new RegExp(`^cannot write ${path.join(dir, 'target')}: `));
    expect(blameFile(sysError('EIO', 'write'), '/a/b')).toMatchObject({ path: '/a/b' });
  });
});
