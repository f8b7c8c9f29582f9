import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** What a failed file operation was trying to do, by Node's `syscall` field. */
const VERBS: Record<string, string> = {
  mkdir: 'cannot create folder',
  open: 'cannot open',
  write: 'cannot write',
  fsync: 'cannot write',
  ftruncate: 'cannot write',
  close: 'cannot write',
  rename: 'cannot write',
  copyfile: 'cannot write',
  utime: 'cannot write',
  unlink: 'cannot remove',
  rmdir: 'cannot remove',
  rm: 'cannot remove',
  read: 'cannot read',
  stat: 'cannot read',
  lstat: 'cannot read',
  scandir: 'cannot list',
  access: 'cannot access',
};

/** The causes a user can act on, in words (the code stays in the message for searching). */
const CAUSES: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for this file system',
  ENOTDIR: 'not a folder',
  EISDIR: 'is a folder, not a file',
  ENOENT: 'no such file or folder',
  EEXIST: 'already exists',
  ENOTEMPTY: 'folder not empty',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'busy',
};

/** Node's error of a failed system call (`dest`: the second path of rename and copyfile). */
type FsError = NodeJS.ErrnoException & { dest?: string };

function errno(err: unknown): FsError | null {
  const e = err as FsError | null;
  return e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string' ? e : null;
}

/** The nearest ancestor of `p` that exists (p itself when it does), with what it is. */
function nearestExisting(p: string): { path: string; isDirectory: boolean } | null {
  for (let q = path.resolve(p); ; q = path.dirname(q)) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(q, { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR: a file further up; keep climbing to it
    }
    if (st) return { path: q, isDirectory: st.isDirectory() };
    if (path.dirname(q) === q) return null;
  }
}

/** Why a folder under `p`'s nearest existing ancestor cannot be written, or null when it can. */
function unwritableAncestor(p: string): string | null {
  const near = nearestExisting(path.dirname(path.resolve(p)));
  if (!near) return null;
  if (!near.isDirectory) return `${near.path} is a file, not a folder (ENOTDIR)`;
  try {
    accessSync(near.path, constants.W_OK);
    return null;
  } catch (err) {
    const code = errno(err)?.code;
    if (code === 'EROFS') return `${near.path} is on a read-only file system (EROFS)`;
    if (code === 'EACCES' || code === 'EPERM') return `${near.path} is not writable: permission denied (${code})`;
    return null;
  }
}

/**
 * One line for a failed file operation: what trbench tried, on which path, and the real cause (a read-only
 * mount, a file where a folder should be, a full disk, missing permission), or null when `err` is not a
 * file-system error. Node's recursive `mkdir` on a read-only mount reports ENOENT; the cause is found by
 * looking at the nearest existing folder.
 */
export function describeFsError(err: unknown): string | null {
  const e = errno(err);
  if (!e || !((e.code as string) in CAUSES)) return null;
  const code = e.code as string;
  const verb = VERBS[e.syscall as string] ?? `${e.syscall} failed on`;
  const target = e.syscall === 'rename' || e.syscall === 'copyfile' ? (e.dest ?? e.path) : e.path;
  if (!target) return `${verb} a file: ${CAUSES[code]} (${code})`;
  let cause = `${CAUSES[code]} (${code})`;
  if (code === 'ENOTDIR' || code === 'ENOENT' || code === 'EROFS' || code === 'EACCES') {
    const why = unwritableAncestor(target);
    if (why && (code !== 'ENOENT' || e.syscall === 'mkdir' || e.syscall === 'open')) cause = why;
  }
  return `${verb} ${target}: ${cause}`;
}

/**
 * Points a file operation's error at `file`: writes through a descriptor carry no path, and a failure on a
 * temporary sibling is about the file it stands for. Returns `err` for `throw`.
 */
export function blameFile(err: unknown, file: string, temporary?: string): unknown {
  const e = errno(err);
  if (e && (e.path === undefined || e.path === temporary)) {
    e.path = file;
    e.dest = undefined;
  }
  return err;
}
