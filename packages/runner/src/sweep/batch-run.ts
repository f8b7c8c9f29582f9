import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { parse } from 'yaml';
import { loadSweepConfig } from '../config/load.ts';
import { writeBatchReport } from '../report/batch-report.ts';
import { type BatchRun, runBatchSweep } from './batch-sweep.ts';
import { RUNS_DIR } from './run.ts';

/** Whether a config file sweeps `batch` (then `trbench run` runs it batched). Unreadable files say no: the loader reports them. */
export function hasBatchAxis(file: string): boolean {
  try {
    if (!existsSync(file)) return false;
    const raw = parse(readFileSync(file, 'utf8')) as { batch?: unknown } | null;
    return raw !== null && typeof raw === 'object' && raw.batch !== undefined;
  } catch {
    return false;
  }
}

/**
 * `trbench run` of a config with a `batch` axis: validates the config, runs the batched sweep and writes its
 * records and report in `<out>/<name>` (batch-records.jsonl, batch-run.json, batch-summary.json,
 * batch-report.md, charts/batch-speedup-*.png). Batched runs are not resumable: an existing folder needs
 * `overwrite`.
 */
export async function runBatchBench(options: {
  config: string;
  name?: string;
  out?: string;
  limit?: number;
  overwrite?: boolean;
  resume?: boolean;
  signal?: AbortSignal;
}): Promise<{ run: BatchRun; files: string[] }> {
  const config = await loadSweepConfig(options.config, { limit: options.limit, signal: options.signal });
  if (options.resume) throw new TrbenchError(`${config.display}: batched sweeps cannot be resumed; run again with --overwrite`);
  const name = options.name ?? config.name;
  if (!/^[A-Za-z0-9][\w.+-]*$/.test(name)) throw new TrbenchError(`run name ${JSON.stringify(name)}: expected letters, digits and _ . + -`);
  const dir = path.resolve(options.out ?? RUNS_DIR, name);
  if (existsSync(path.join(dir, 'batch-run.json')) && !options.overwrite)
    throw new TrbenchError(`${dir} already holds a batched run; pass --overwrite to replace it`);
  const run = await runBatchSweep(config, {
    dir,
    name,
    overwrite: options.overwrite,
    signal: options.signal,
    // Reports of the batch sizes done so far: a run stopped by a time limit keeps them.
    onPartial: (partial) => writeBatchReport(partial),
  });
  return { run, files: writeBatchReport(run) };
}
