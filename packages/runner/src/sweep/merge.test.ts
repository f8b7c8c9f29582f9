// End-to-end: a tiny sweep on the real stories260K model run as 4 concurrent shards (three by the recipes
// in docs/recipes — Kubernetes, SLURM, CI matrix — one crashed and resumed), merged by the recipes' merge
// commands, and compared field by field with the same sweep run on one machine; then the ways a merge
// must refuse.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { hardwareOf } from '../env/hardware.ts';
import { methodNames } from '../methods/index.ts';
import type { Summary } from '../report/summary.ts';
import { mergeRuns } from './merge.ts';
import { lineProgress } from './progress.ts';
import { type RunRecord, readRecords, recordKey } from './records.ts';
import { runBench } from './run.ts';
import { type RunManifest, readManifest } from './run-dir.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trbench.js');
const quiet = () => lineProgress(new Writable({ write: (_c, _e, cb) => cb() }));

/** Stateful (tr hot, suffix) and stateless (ar, pld, lookahead) drafters, when this build has them. */
const others = ['pld', 'lookahead', 'suffix'].filter((m) => methodNames().includes(m));
const STATEFUL = new Set(['tr', 'suffix']);

const CONFIG = `
name: tiny
maxNewTokens: 20
warmup: 1
models:
  - model: stories260K
datasets:
  - dataset: stories
    limit: 4
  - dataset: spec-bench
    subset: [mt_bench, qa]
    limit: 1
methods:
  - method: tr
${others.map((m) => `  - method: ${m}\n`).join('')}`;

let dir: string;
let config: string;
let reference: { summary: Summary; records: RunRecord[] };
const shardDirs: string[] = [];
let autoStderr = '';

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return waitForExit(child).then((code) => ({ code, stdout, stderr }));
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const RECIPES = path.join(ROOT, 'docs', 'recipes');

/** Runs a command of a recipe from the repository root, as the recipe's scheduler would. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CI: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return waitForExit(child).then((code) => ({ code, stdout, stderr }));
}

/** The recipes' sweep settings, pointed at this test's config and folder. */
const recipeEnv = () => ({ CONFIG: config, RESULTS: dir, NAME: 'tiny' });

/** Shard 1 as docs/recipes/k8s-indexed-job.yaml runs it: its container command with pod index 0. */
function k8sShard(index: number, count: number) {
  const docs = parseAllDocuments(readFileSync(path.join(RECIPES, 'k8s-indexed-job.yaml'), 'utf8')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
  const container = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  expect(env.SHARDS).toBe(String(job.spec.completions)); // --shard-count must equal the completions
  const [command, ...args] = container.command as string[];
  return run(command, args, {
    ...env,
    ...recipeEnv(),
    SHARDS: String(count),
    TRBENCH_CACHE: process.env.TRBENCH_CACHE,
    JOB_COMPLETION_INDEX: String(index - 1),
  });
}

/** A shard as docs/recipes/slurm-array.sh runs it in array task `index - 1` of `--array=0-(count-1)`. */
function slurmShard(index: number, count: number) {
  return run('bash', [path.join(RECIPES, 'slurm-array.sh')], {
    ...recipeEnv(),
    SLURM_SUBMIT_DIR: ROOT,
    SLURM_ARRAY_TASK_ID: String(index - 1),
    SLURM_ARRAY_TASK_MIN: '0',
    SLURM_ARRAY_TASK_COUNT: String(count),
  });
}

/** A shard as the matrix job of docs/recipes/github-actions-matrix.yml runs it. */
function ciShard(index: number, count: number) {
  const workflow = parse(readFileSync(path.join(RECIPES, 'github-actions-matrix.yml'), 'utf8'));
  const step = workflow.jobs.shard.steps.find((x: { run?: string }) => x.run?.includes('trbench run'));
  const script = (step.run as string)
    .replace(/\$\{\{ matrix\.shard \}\}/g, String(index))
    .replace(/\$\{\{ strategy\.job-total \}\}/g, String(count));
  return run('bash', ['-c', script], recipeEnv());
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-merge-'));
  config = path.join(dir, 'tiny.yaml');
  writeFileSync(config, CONFIG);
  for (let i = 1; i <= 4; i++) shardDirs.push(path.join(dir, `tiny.shard-${i}-of-4`));
  // Four shards at once, with the one-machine run: shard 1 by the Kubernetes recipe, 3 by the SLURM
  // recipe, 4 by the CI-matrix recipe, and 2 in this process with a crash after its first record and a
  // --resume.
  const shards = [k8sShard(1, 4), slurmShard(3, 4), ciShard(4, 4)];
  const straight = cli(['run', config, '--out', dir, '--name', 'straight']);
  let written = 0;
  await expect(
    runBench({
      config,
      out: dir,
      shard: { index: 2, count: 4, source: 'test' },
      progress: quiet(),
      afterRecord: () => {
        if (++written === 2) throw new Error('simulated crash');
      },
    }),
  ).rejects.toThrow('simulated crash');
  await expect(
    runBench({ config, out: dir, name: 'tiny.shard-2-of-4', resume: true, shard: { index: 1, count: 4, source: 'test' } }),
  ).rejects.toThrow(/covers shard 2\/4, this command shard 1\/4/);
  await runBench({ config, out: dir, resume: true, shard: { index: 2, count: 4, source: 'test' }, progress: quiet() });
  const results = await Promise.all([...shards, straight]);
  for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
  autoStderr = results.map((r) => r.stderr).join('\n');
  const straightDir = path.join(dir, 'straight');
  reference = {
    summary: JSON.parse(readFileSync(path.join(straightDir, 'summary.json'), 'utf8')) as Summary,
    records: readRecords(path.join(straightDir, 'records.jsonl')).records,
  };
}, 600_000);

/** Everything about a row that must not depend on timing or on the machine. */
function deterministic(summary: Summary) {
  return summary.rows.map((r) => ({
    key: `${r.model}/${r.dataset}/${r.variant}/${r.subtask}`,
    questions: r.questions,
    skipped: r.skipped,
    runs: r.runs,
    newTokens: r.newTokens,
    steps: r.steps,
    mat: r.mat,
    lossless: r.lossless,
    acceptHistogram: r.acceptHistogram,
    meanDraftNodes: r.meanDraftNodes,
    specBenchRecount: r.specBenchRecount,
  }));
}

function strip(r: RunRecord) {
  return {
    key: recordKey(r),
    status: r.status,
    skipReason: r.skipReason,
    lossless: r.lossless,
    // A drafter without state skips the earlier questions in a shard, so only a stateful one's counter matches.
    drafter: STATEFUL.has(r.method) ? r.drafter : null,
    turns: r.turns.map((t) => ({
      tokens: t.tokens,
      steps: t.steps,
      acceptHist: t.acceptHist,
      promptTokens: t.promptTokens,
      stopReason: t.stopReason,
      recount: t.recount,
    })),
  };
}

/** A shard folder copied under another name, with its run.json edited. */
function copyShard(from: string, name: string, edit?: (m: RunManifest) => void): string {
  const to = path.join(dir, name);
  cpSync(from, to, { recursive: true });
  if (edit) {
    const m = readManifest(to);
    edit(m);
    writeFileSync(path.join(to, 'run.json'), JSON.stringify(m));
  }
  return to;
}

/** The merge command of docs/recipes/k8s-merge-job.yaml. */
function k8sMerge() {
  const job = parse(readFileSync(path.join(RECIPES, 'k8s-merge-job.yaml'), 'utf8'));
  const [command, ...args] = job.spec.template.spec.containers[0].command as string[];
  return run(command, args, recipeEnv());
}

describe('sharded sweep + trbench merge (stories260K)', () => {
  it('each shard records its own block of (model, question); --shard auto says which variables it used', () => {
    const sizes = shardDirs.map((d) => readRecords(path.join(d, 'records.jsonl')).records.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(reference.records.length);
    expect(sizes.every((s) => s > 0)).toBe(true);
    expect(autoStderr).toContain('shard 1/4 (from JOB_COMPLETION_INDEX=0 --shard-count 4)');
    expect(autoStderr).toContain('shard 3/4 (from SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4)');
    expect(autoStderr).toContain('shard 4/4 (from --shard 4/4)');
    const m = readManifest(shardDirs[2]);
    expect(m.shard).toMatchObject({ index: 3, count: 4 });
    expect(m.sessions[0].hardware?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(readManifest(shardDirs[1]).sessions.map((s) => s.resume)).toEqual([false, true]);
  });

  it('merged (by the SLURM and Kubernetes merge recipes), equals the one-machine run in every deterministic field', async () => {
    const merge = await run('bash', [path.join(RECIPES, 'slurm-merge.sh')], { ...recipeEnv(), SLURM_SUBMIT_DIR: ROOT });
    expect(merge, merge.stderr).toMatchObject({ code: 0 });
    expect(merge.stdout).toContain('merged 4 run folders');
    const out = path.join(dir, 'tiny');
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary).toMatchObject({ complete: true, records: reference.records.length });
    expect(deterministic(summary)).toEqual(deterministic(reference.summary));
    expect(summary.skippedQuestions).toEqual(reference.summary.skippedQuestions);
    const records = readRecords(path.join(out, 'records.jsonl')).records;
    expect(records.map(strip)).toEqual(reference.records.map(strip));
    for (const r of summary.rows.filter((x) => x.method !== 'ar')) expect(r.lossless?.identical).toBe(r.lossless?.compared);
    const m = readManifest(out);
    expect(m.shard).toBeUndefined();
    expect(m.origin?.kind).toBe('merge');
    expect(m.sessions).toHaveLength(5); // shard 2 was resumed once
    // a record's session index points at the session that wrote it, in the merged run.json
    for (const r of records) expect(m.sessions[r.session]).toBeDefined();
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('merged from 4 run folders');
    // the Kubernetes merge Job's command does the same (it replaces the merged run: --overwrite)
    const again = await k8sMerge();
    expect(again, again.stderr).toMatchObject({ code: 0 });
    const second = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
    expect(deterministic(second)).toEqual(deterministic(reference.summary));
  });

  it('a missing, repeated or unfinished shard gives one line naming what is wrong', async () => {
    const missing = await cli(['merge', shardDirs[0], shardDirs[2], shardDirs[3], '--out', path.join(dir, 'bad')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^trbench: cannot merge: shard 2\/4 not given; stories260K\/stories: questions? .* missing/);

    const again = copyShard(shardDirs[1], 'again');
    const repeated = await cli(['merge', ...shardDirs, again, '--out', path.join(dir, 'bad')]);
    expect(repeated.code).toBe(2);
    expect(repeated.stderr.trim().split('\n')).toHaveLength(1);
    expect(repeated.stderr).toMatch(/shard 2\/4 given 2 times .*recorded twice/);

    const cut = copyShard(shardDirs[2], 'cut');
    const lines = readFileSync(path.join(cut, 'records.jsonl'), 'utf8').split('\n');
    writeFileSync(path.join(cut, 'records.jsonl'), `${lines.slice(0, 2).join('\n')}\n`);
    expect(() => mergeRuns({ dirs: [shardDirs[0], shardDirs[1], cut, shardDirs[3]], out: path.join(dir, 'bad') })).toThrow(
      /missing \(shard 3\/4 in .*cut is incomplete: finish it with trbench run … --resume\)/,
    );

    const other = copyShard(shardDirs[2], 'other-config', (m) => {
      m.config.hash = 'f'.repeat(64);
    });
    expect(() => mergeRuns({ dirs: [shardDirs[0], shardDirs[1], other, shardDirs[3]], out: path.join(dir, 'bad') })).toThrow(
      /was made from another config \(hash ffffffffffff\)/,
    );
    expect(existsSync(path.join(dir, 'bad'))).toBe(false);
  });

  it('refuses shards from different hardware unless --allow-mixed-hardware, which reports speedups per hardware group', () => {
    const elsewhere = copyShard(shardDirs[2], 'elsewhere', (m) => {
      for (const s of m.sessions)
        s.hardware = hardwareOf({ cpu: 'Other CPU', cores: 64, usableCores: 64, platform: 'linux-x64', gpus: ['NVIDIA H100'] });
    });
    const dirs = [shardDirs[0], shardDirs[1], elsewhere, shardDirs[3]];
    expect(() => mergeRuns({ dirs, out: path.join(dir, 'mixed') })).toThrow(
      /the runs used 2 kinds of hardware .*Other CPU ×64, linux-x64, NVIDIA H100.*--allow-mixed-hardware/,
    );
    const merged = mergeRuns({ dirs, out: path.join(dir, 'mixed'), allowMixedHardware: true });
    expect(deterministic(merged.summary)).toEqual(deterministic(reference.summary));
    expect(merged.groups).toHaveLength(2);
    const [here, there] = merged.groups;
    expect(there.dirs).toEqual([elsewhere]);
    // each group's run holds only its own questions, with its own (same-machine) speedups
    const count = (s: Summary | null) => s?.records ?? 0;
    expect(count(here.summary) + count(there.summary)).toBe(reference.records.length);
    const tr = there.summary?.rows.find((r) => r.method === 'tr' && r.subtask === 'overall' && r.questions > 0);
    expect(tr?.speedup).toBeGreaterThan(0);
    expect(tr?.specBenchSpeedup).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, 'mixed', 'hardware', there.hardware.fingerprint, 'report.md'))).toBe(true);
    expect(merged.summary.notes.join('\n')).toMatch(/2 kinds of hardware .*hardware\/[0-9a-f]{16}\/report\.md/);
  });
});
