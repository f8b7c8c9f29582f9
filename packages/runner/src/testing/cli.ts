// Runs the real `trbench` CLI in a child process, the way a user meets it (tests only).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI entry point (bin/trbench.js). */
export const TRBENCH_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trbench.js');

export interface CliResult {
  /** Exit code; null when a signal ended the process (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `trbench ...args` to its end; never rejects (the exit code and output are the result). `env` adds
 * to this process's environment (plus `CI=1`, which keeps progress output to plain lines); an `undefined`
 * value removes a variable.
 */
export function trbench(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, CI: '1', ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [TRBENCH_BIN, ...args], { env, cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** A `trbench` child process still running: its output so far, and a way to wait for a line and signal it. */
export interface RunningCli {
  readonly pid: number;
  stderr(): string;
  /** Resolves once stderr matches `pattern`; rejects after `timeoutMs` or when the process ends first. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has ended (code, signal, whole output). */
  readonly ended: Promise<CliResult>;
}

/** Starts `trbench ...args` like {@link trbench} and hands back the running process (tests of signals). */
export function startTrbench(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): RunningCli {
  const env: Record<string, string | undefined> = { ...process.env, CI: '1', ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [TRBENCH_BIN, ...args], { env, cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end();
  const ended = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    pid: child.pid ?? -1,
    stderr: () => stderr,
    waitForStderr: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const t0 = Date.now();
        const poll = () => {
          if (pattern.test(stderr)) resolve();
          else if (done) reject(new Error(`trbench ended before stderr matched ${pattern}:\n${stderr}`));
          else if (Date.now() - t0 > timeoutMs) reject(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms:\n${stderr}`));
          else setTimeout(poll, 50);
        };
        poll();
      }),
    kill: (signal) => child.kill(signal),
    ended,
  };
}
