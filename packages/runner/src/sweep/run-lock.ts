import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';

/** Who holds a run folder: written into its lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** A held lock; `release` is idempotent. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

/** Name of the lock file inside a run folder. */
export const LOCK_FILE = 'run.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/**
 * Locks a run folder for one process: the lock file is created with O_EXCL, so of two runs started
 * together exactly one gets it, and holds the holder's pid, host and start time. A lock left by a process
 * that no longer runs on this host (killed, crashed, power loss) is stale and taken over; a lock from
 * another host (a shared folder) is never guessed about. Released by `release()` and, as a last resort,
 * when the process exits (`process.exit` after a second Ctrl-C included).
 */
export function acquireRunLock(dir: string): RunLock {
  const file = path.join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = readHolder(file);
      // Unreadable and not fresh: its writer died between creating and filling it (or it is gone by now).
      const abandoned = holder === null && Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
      if (abandoned || (holder && holder.host === me.host && !processAlive(holder.pid))) {
        rmSync(file, { force: true }); // stale: its process is gone
        continue;
      }
      const who = holder
        ? `process ${holder.pid} on ${holder.host}, running since ${holder.startedAt}`
        : 'a process whose lock file is unreadable';
      throw new TrbenchError(
        `${dir} is in use by another trbench run (${who}); wait for it to end, or choose another --name ` +
          `(if that process is gone, delete ${file})`,
      );
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    break;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never delete one a later run took over.
    if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}
