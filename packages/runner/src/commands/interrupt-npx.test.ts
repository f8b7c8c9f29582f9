// Signals through npm (issue 28): SIGTERM or SIGINT delivered only to `npx trbench …` or `npm run …` (what
// `timeout --foreground`, CI runners and process managers send: not the whole process group, as Ctrl-C in a
// terminal does) must stop the trbench process behind it with its clean line and release its lock; no trbench
// may run on as an orphan. Generous bounds only: npm's start on a loaded 2-core machine takes seconds.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../sweep/run-lock.ts';
import { watchesParent } from './interrupt.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** npm's own start plus trbench's (tsx, native backends) on a loaded machine. */
const PHASE_START_MS = 120_000;
/** The issue asks for 2 s; the bound is generous for a loaded machine, the measured time is printed. */
const GONE_WITHIN_MS = 15_000;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-npx-'));
});

/** Processes (other than npm) whose environment holds `marker`: the trbench started for one test. */
function processesWith(marker: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(marker)) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (/trbench/.test(cmd) && !/^npm /.test(cmd)) found.push({ pid: Number(entry), cmd });
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return what();
}

interface Launched {
  child: ChildProcess;
  stderr: () => string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `command args` (npx or npm) in the repository with a marker in its environment. */
function launch(command: string, args: string[], marker: string, cache: string, scriptShell?: string): Launched {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CI: '1',
    TRBENCH_CACHE: cache,
    TRBENCH_PROGRESS_EVERY: '0.5',
    TRBENCH_TEST_MARKER: marker,
  };
  // As a user's shell would start it: not inside this test runner's npm.
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'TRBENCH_WATCH_PARENT') delete env[k];
  if (scriptShell) env.npm_config_script_shell = scriptShell;
  const child = spawn(command, args, { env, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, ended };
}

/** Starts it, waits for `phase` and for its trbench process, signals npm alone, and checks that trbench stops cleanly. */
async function signalNpmOnly(
  command: string,
  args: string[],
  phase: RegExp,
  signal: 'SIGINT' | 'SIGTERM',
  scriptShell?: string,
): Promise<{ stderr: string; goneMs: number; code: number | null }> {
  const marker = `npx-${signal}-${Math.random().toString(36).slice(2)}`;
  const cache = path.join(dir, marker);
  mkdirSync(cache);
  const run = launch(command, args, marker, cache, scriptShell);
  try {
    expect(await until(() => phase.test(run.stderr()), PHASE_START_MS), `phase ${phase} not reached:\n${run.stderr()}`).toBe(true);
    const trbench = processesWith(marker);
    expect(trbench.length, JSON.stringify(trbench)).toBeGreaterThan(0);
    const t0 = Date.now();
    process.kill(run.child.pid!, signal);
    const gone = await until(() => trbench.every((p) => !alive(p.pid)), GONE_WITHIN_MS);
    const goneMs = Date.now() - t0;
    expect(gone, `trbench still running ${goneMs} ms after ${signal} to ${command}: ${JSON.stringify(processesWith(marker))}`).toBe(true);
    const { code } = await run.ended;
    const stderr = run.stderr();
    const lines = stderr.split('\n').filter((l) => l.startsWith('trbench: interrupted'));
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^trbench: interrupted \\(${signal}\\) while `));
    expect(stderr).not.toMatch(/^\s+at /m);
    process.stderr.write(`[npx test] ${command} ${args.join(' ')}: ${signal} → trbench gone after ${goneMs} ms, npm exit ${code}\n`);
    return { stderr, goneMs, code };
  } finally {
    for (const p of processesWith(marker)) process.kill(p.pid, 'SIGKILL');
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

describe('signals through npx / npm run', () => {
  it('watches its parent only when npm started it (or TRBENCH_WATCH_PARENT=1)', () => {
    expect(watchesParent({ npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' })).toBe(true);
    expect(watchesParent({})).toBe(false);
    expect(watchesParent({ TRBENCH_WATCH_PARENT: '1' })).toBe(true);
    expect(watchesParent({ npm_execpath: 'npm', TRBENCH_WATCH_PARENT: '0' })).toBe(false);
  });

  it('SIGTERM to `npx trbench tune` (as timeout --foreground -s TERM sends it) stops trbench with its clean line', async () => {
    const r = await signalNpmOnly('npx', ['trbench', 'tune', '--force'], /calibration: 0\/\d+ prompts/, 'SIGTERM');
    expect(r.stderr).toMatch(/interrupted \(SIGTERM\) while tuning the TR tree/);
  }, 240_000);

  // Debian's /bin/sh: a shell that does not exec its last command (where there is none, there is nothing to test).
  it.skipIf(!existsSync('/bin/dash'))(
    "SIGTERM to `npx trbench tune` with dash as npm's script shell: the shell dies, trbench notices its parent is gone",
    async () => {
      const r = await signalNpmOnly('npx', ['trbench', 'tune', '--force'], /calibration: 0\/\d+ prompts/, 'SIGTERM', '/bin/dash');
      expect(r.stderr).toMatch(/interrupted \(SIGTERM\) while tuning the TR tree/);
    },
    240_000,
  );

  it('SIGINT to `npx trbench tune` stops trbench (npm forwards it; exit 130 as a direct Ctrl-C)', async () => {
    const r = await signalNpmOnly('npx', ['trbench', 'tune', '--force'], /calibration: 0\/\d+ prompts/, 'SIGINT');
    expect(r.code).toBe(130);
  }, 240_000);

  it('SIGTERM to `npm run trbench -- run …`: the sweep stops and releases its run lock', async () => {
    const config = path.join(dir, 'sweep.yaml');
    writeFileSync(
      config,
      'maxNewTokens: 256\nwarmup: 0\nmodels:\n  - model: stories260K\ndatasets:\n  - dataset: stories\nmethods:\n  - method: tr\n  - method: pld\n',
    );
    const r = await signalNpmOnly(
      'npm',
      ['run', '--silent', 'trbench', '--', 'run', config, '--out', dir, '--name', 'npm-run'],
      /question runs, ETA .* · .* q /,
      'SIGTERM',
    );
    expect(r.stderr).toMatch(/records kept in .*records\.jsonl; rerun with --resume/);
    expect(existsSync(path.join(dir, 'npm-run', LOCK_FILE))).toBe(false);
  }, 240_000);
});
