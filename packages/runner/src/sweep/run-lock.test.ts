// The run-folder lock: one holder at a time (O_EXCL), the holder named, stale locks of dead processes
// taken over, and the lock released on every way out; with real processes on the real model.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRBENCH_BIN, trbench } from '../testing/cli.ts';
import { acquireRunLock, LOCK_FILE } from './run-lock.ts';

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** A process that is alive until killed (the lock holder of the tests). */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
}

function writeLock(dir: string, pid: number, host = hostname()): string {
  const file = path.join(dir, LOCK_FILE);
  writeFileSync(file, `${JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
  return file;
}

describe('acquireRunLock', () => {
  it('refuses a folder held by a live process, naming its pid and host', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-lock-'));
    const holder = sleeper();
    try {
      writeLock(dir, holder.pid as number);
      expect(() => acquireRunLock(dir)).toThrow(new RegExp(`in use by another trbench run \\(process ${holder.pid} on ${hostname()}`));
    } finally {
      holder.kill();
      await exited(holder);
    }
  });

  it('takes over the lock of a process that is gone, and releases only its own', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-lock-'));
    const gone = sleeper();
    gone.kill();
    await exited(gone);
    const file = writeLock(dir, gone.pid as number);
    const lock = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireRunLock(dir)).toThrow(`process ${process.pid}`);
    lock.release();
    expect(existsSync(file)).toBe(false);
    lock.release(); // idempotent
    acquireRunLock(dir).release();
  });

  it('keeps a lock from another host and a fresh unreadable one; takes over an old unreadable one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-lock-'));
    const file = writeLock(dir, 1, 'some-other-host');
    expect(() => acquireRunLock(dir)).toThrow('process 1 on some-other-host');
    writeFileSync(file, '');
    expect(() => acquireRunLock(dir)).toThrow('lock file is unreadable');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    acquireRunLock(dir).release();
  });
});

const CONFIG = `
maxNewTokens: 64
warmup: 0
models:
  - model: stories260K
datasets:
  - dataset: stories
methods:
  - method: tr
    params: { template: ["2.2.2", "chain:4"] }
`;

describe('trbench run on a locked folder', () => {
  it('a second run of the same folder stops at once naming the first; Ctrl-C releases the lock', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'trbench-lock-run-'));
    const config = path.join(out, 'lock.yaml');
    writeFileSync(config, CONFIG);
    const lockFile = path.join(out, 'same', LOCK_FILE);
    const first = spawn(process.execPath, [TRBENCH_BIN, 'run', config, '--out', out, '--name', 'same'], {
      env: { ...process.env, CI: '1' },
    });
    let firstErr = '';
    first.stderr?.on('data', (d) => (firstErr += d));
    const firstExit = exited(first);
    while (!existsSync(lockFile) && first.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.pid, host: hostname() });

    for (const extra of [[], ['--resume'], ['--overwrite']]) {
      const second = await trbench(['run', config, '--out', out, '--name', 'same', ...extra]);
      expect(second.code).toBe(2);
      expect(second.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`is in use by another trbench run (process ${first.pid} on`),
      ]);
    }
    expect(first.exitCode).toBeNull(); // the first was not disturbed

    first.kill('SIGINT');
    expect({ ...(await firstExit), firstErr }).toMatchObject({ code: 130 });
    expect(existsSync(lockFile)).toBe(false);
  });

  it('a lock left by a killed run does not stop the next one', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'trbench-lock-run-'));
    const config = path.join(out, 'lock.yaml');
    writeFileSync(
      config,
      CONFIG.replace('maxNewTokens: 64', 'maxNewTokens: 4').replace('- dataset: stories', '- dataset: stories\n    limit: 1'),
    );
    mkdirSync(path.join(out, 'stale'));
    const gone = sleeper();
    gone.kill('SIGKILL');
    await exited(gone);
    writeLock(path.join(out, 'stale'), gone.pid as number);
    const r = await trbench(['run', config, '--out', out, '--name', 'stale']);
    expect(r.stderr).not.toContain('in use');
    expect(r.code).toBe(0);
    expect(existsSync(path.join(out, 'stale', LOCK_FILE))).toBe(false);
  });
});
