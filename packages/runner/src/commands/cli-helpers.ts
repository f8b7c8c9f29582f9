import { describeFsError } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { InterruptScope } from './interrupt.ts';

/** Parses a positive integer option, naming the flag in the error. */
export function positiveInt(flag: string, raw: string | number | undefined, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new TrbenchError(`${flag} is required`);
    return fallback;
  }
  const n = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new TrbenchError(`${flag} must be an integer >= 1 (got ${JSON.stringify(raw)})`);
  return n;
}

/** Parses a number option, naming the flag and the input in the error (`abc` and `""` are not numbers). */
export function numberOption(flag: string, raw: string | number): number {
  const n = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new TrbenchError(`${flag} must be a number (got ${JSON.stringify(raw)})`);
  return n;
}

/**
 * Runs a command's body and turns expected failures into one line on stderr: input errors
 * (`TrbenchError`) and file-system errors (read-only folder, full disk, a file where a folder should be:
 * the path and the real cause) exit 2; SIGINT / SIGTERM abort `signal`, the body stops at its next step
 * and the line says what was interrupted and what was kept (exit 130 / 143). Bugs keep their stack trace.
 */
export async function runCommand(body: (signal: AbortSignal) => Promise<void> | void): Promise<void> {
  const interrupts = new InterruptScope();
  try {
    await body(interrupts.signal);
  } catch (err) {
    const interruption = interrupts.interruption(err);
    if (interruption) {
      interrupts.report(interruption);
      return;
    }
    const line = err instanceof TrbenchError ? err.message : describeFsError(err);
    if (line !== null) {
      process.stderr.write(`trbench: ${line}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  } finally {
    interrupts.dispose();
  }
}
