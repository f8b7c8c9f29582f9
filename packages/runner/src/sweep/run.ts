import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import { InterruptedError, TrbenchError } from '@trbench/core';
import { loadSweepConfig, type SweepConfig } from '../config/load.ts';
import { captureEnvironment } from '../env/environment.ts';
import { captureHardware } from '../env/hardware.ts';
import { preflight } from '../env/preflight.ts';
import { writeReport } from '../report/report.ts';
import type { Summary } from '../report/summary.ts';
import { planUnits } from './plan.ts';
import { defaultProgress, type Progress } from './progress.ts';
import { RecordLog, type RunRecord, readRecords } from './records.ts';
import { manifestOf, readManifest, resumeMismatch, runFiles, writeManifest } from './run-dir.ts';
import { acquireRunLock } from './run-lock.ts';
import { pairKey, type ShardSpec, shardRunName } from './shard.ts';
import { openSetup, runSweep, type SweepOptions } from './sweep.ts';

export interface RunOptions {
  /** Path of the config file. */
  config: string;
  /** Run name (folder under `out`); default: the config's `name`, else its file name. */
  name?: string;
  /** Continue the run folder's records instead of refusing to touch it. */
  resume?: boolean;
  /** Replace the run folder's records and reports (after the config is validated). */
  overwrite?: boolean;
  /** Folder that holds run folders; default `results/runs`. */
  out?: string;
  /** Caps every dataset's per-subtask question count. */
  limit?: number;
  progress?: Progress;
  /** Stops the sweep at the next decode step (InterruptedError); the run can be resumed. */
  signal?: AbortSignal;
  /** Called after each record is written (tests simulate a crash with it). */
  afterRecord?: (record: RunRecord) => void;
  /** Run only this shard of the plan (`parseShard`); the default name gets a `.shard-I-of-N` suffix. */
  shard?: ShardSpec;
  /** Replaces a unit's drafter (benches inject a known slowdown with it). */
  wrapDrafter?: SweepOptions['wrapDrafter'];
}

/** Default folder of run folders. */
export const RUNS_DIR = path.join(repoRoot, 'results', 'runs');

/**
 * `trbench run`: validates the whole config before touching the run folder, runs (or resumes) the sweep
 * appending records, then writes summary.json, report.md, report.csv and charts.
 */
export async function runBench(options: RunOptions): Promise<{ dir: string; summary: Summary; files: string[] }> {
  const config = await loadSweepConfig(options.config, { limit: options.limit, signal: options.signal });
  await preflight(config, openSetup, options.signal);
  const name = options.name ?? (options.shard ? shardRunName(config.name, options.shard) : config.name);
  if (!/^[A-Za-z0-9][\w.+-]*$/.test(name)) throw new TrbenchError(`run name ${JSON.stringify(name)}: expected letters, digits and _ . + -`);
  const dir = path.resolve(options.out ?? RUNS_DIR, name);
  if (options.resume && options.overwrite) throw new TrbenchError('--resume and --overwrite exclude each other');
  // One process per run folder: a second run of the same name would interleave its records with ours.
  mkdirSync(dir, { recursive: true });
  const lock = acquireRunLock(dir);
  try {
    return await runInFolder(options, config, name, dir);
  } finally {
    lock.release();
  }
}

/** The part of {@link runBench} that runs with the run folder locked. */
async function runInFolder(
  options: RunOptions,
  config: SweepConfig,
  name: string,
  dir: string,
): Promise<{ dir: string; summary: Summary; files: string[] }> {
  const files = runFiles(dir);
  const now = manifestOf(config, name, options.shard);
  const environment = captureEnvironment();
  const session = { startedAt: new Date().toISOString(), resume: false, environment, hardware: captureHardware(environment) };
  let manifest = now;

  let replaced: string | null = null;
  if (options.overwrite && existsSync(files.manifest)) {
    const earlier = readRecords(files.records).records.length;
    replaced = `replacing the earlier run in ${dir} (${earlier} records; --overwrite)`;
    // Only the files a run writes: a folder someone filled with other things keeps them.
    for (const f of [files.records, files.summary, files.reportMd, files.reportCsv, files.manifest]) rmSync(f, { force: true });
    rmSync(files.charts, { recursive: true, force: true });
  }
  if (existsSync(files.manifest)) {
    const before = readManifest(dir);
    const recorded = readRecords(files.records).records.length;
    if (options.resume) {
      const mismatch = resumeMismatch(before, now);
      if (mismatch) throw new TrbenchError(`cannot resume ${dir}: ${mismatch}; start a new run with another --name`);
      manifest = before;
      session.resume = true;
    } else if (recorded > 0) {
      throw new TrbenchError(
        `${dir} already holds a run with ${recorded} records: pass --resume to continue it, --overwrite to replace it, or --name to start another`,
      );
    } else {
      rmSync(files.records, { force: true });
    }
  } else if (!options.resume && existsSync(files.records)) {
    throw new TrbenchError(`${dir} holds records but no run.json; remove it or choose another --name`);
  }
  manifest = { ...manifest, sessions: [...manifest.sessions, session] };
  writeManifest(dir, manifest);

  const progress = options.progress ?? defaultProgress();
  if (replaced) progress.line(replaced);
  for (const note of config.notes) progress.line(`note: ${note}`);
  if (now.shard) {
    const mine = now.units.reduce((s, u) => s + u.questions, 0);
    const all = planUnits(config).reduce((s, u) => s + u.dataset.questions.length, 0);
    progress.line(`shard ${now.shard.index}/${now.shard.count} (from ${now.shard.source}): ${mine} of ${all} question runs`);
  }
  const log = RecordLog.open(files.records);
  if (log.droppedBytes > 0) progress.line(`dropped an unfinished last record (${log.droppedBytes} bytes) left by an interrupted run`);
  // What runs now, for the line an interruption prints.
  let doing = 'starting';
  const tracked: Progress = {
    start: (total, done, remaining) => progress.start(total, done, remaining),
    status: (text) => {
      doing = text;
      progress.status(text);
    },
    advance: (done) => progress.advance(done),
    line: (text) => progress.line(text),
    stop: () => progress.stop(),
  };
  try {
    await runSweep({
      config,
      log,
      session: manifest.sessions.length - 1,
      progress: tracked,
      signal: options.signal,
      afterRecord: options.afterRecord,
      shard: now.shard && new Map(now.shard.ranges.map((r) => [pairKey(r.model, r.dataset), { start: r.start, end: r.end }])),
      wrapDrafter: options.wrapDrafter,
    });
  } catch (err) {
    const kept = `${log.records.length} records kept in ${files.records}`;
    if (err instanceof InterruptedError) {
      err.during ??= `running the sweep (${doing})`;
      err.kept ??= `${kept}; rerun with --resume to continue (the question in flight is answered again)`;
    } else {
      progress.line(`trbench: the run stopped; its ${kept}: fix the cause and rerun with --resume`);
    }
    throw err;
  } finally {
    progress.stop();
    log.close();
  }
  const report = writeReport(dir);
  return { dir, summary: report.summary, files: report.files };
}
