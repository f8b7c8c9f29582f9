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
