// End-to-end: tiny sweeps on the real stories260K model, including a crash and a SIGKILL mid-run
// followed by --resume, compared field by field with an uninterrupted run.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { methodNames } from '../methods/index.ts';
import { writeReport } from '../report/report.ts';
import type { Summary } from '../report/summary.ts';
import { lineProgress } from './progress.ts';
import { type RunRecord, readRecords, recordKey } from './records.ts';
import { runBench } from './run.ts';
import { readManifest } from './run-dir.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trbench.js');
const quiet = () => lineProgress(new Writable({ write: (_c, _e, cb) => cb() }));

/** Baselines that run with their default parameters, when this build registers them (REST needs a datastore). */
const others = ['pld', 'lookahead', 'suffix'].filter((m) => methodNames().includes(m));

const CONFIG = `
maxNewTokens: 24
warmup: 1
models:
  - model: stories260K
datasets:
  - dataset: stories
    limit: 4
  - dataset: spec-bench
    subset: [mt_bench, summarization, qa]
    limit: 1
methods:
  - method: tr
    params: { template: ["2.2.2", "chain:4"] }
${others.map((m) => `  - method: ${m}\n`).join('')}`;

let dir: string;
let config: string;
let reference: { summary: Summary; records: RunRecord[] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-run-'));
  config = path.join(dir, 'tiny.yaml');
  writeFileSync(config, CONFIG);
  const { summary, dir: runDir } = await runBench({ config, out: dir, name: 'straight', progress: quiet() });
  reference = { summary, records: readRecords(path.join(runDir, 'records.jsonl')).records };
});

/** Everything about a row that must not depend on timing. */
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
    specBenchRecount: r.specBenchRecount,
  }));
}

function expectSameRecords(records: RunRecord[]) {
  expect(records.map(recordKey)).toEqual(reference.records.map(recordKey));
  const strip = (r: RunRecord) => ({
    status: r.status,
    skipReason: r.skipReason,
    drafter: r.drafter,
    lossless: r.lossless,
    turns: r.turns.map((t) => ({
      tokens: t.tokens,
      steps: t.steps,
      acceptHist: t.acceptHist,
      promptTokens: t.promptTokens,
      stopReason: t.stopReason,
    })),
  });
  expect(records.map(strip)).toEqual(reference.records.map(strip));
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return waitForExit(child).then(({ code }) => ({ code, stdout, stderr }));
}

describe('trbench run (stories260K)', () => {
  it('writes records, summary, reports and charts; every method is lossless', () => {
    const s = reference.summary;
    const variants = 1 + 2 + others.length;
    expect(s.complete).toBe(true);
    expect(s.records).toBe(variants * (4 + 3));
    expect(s.models[0].backendInfo?.name).toBe('llama.cpp');
    expect(s.models[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    // The sweep opens the cached .gguf by path and must stop where `generate --model stories260K` stops.
    expect(s.models[0].stopTokens).toEqual([1, 2]);
    expect(reference.records.every((r) => r.stopTokens?.join() === '1,2')).toBe(true);
    expect(s.environment?.node).toBe(process.version);
    expect(s.config.hash).toMatch(/^[0-9a-f]{64}$/);
    for (const r of s.rows.filter((x) => x.subtask === 'overall')) {
      if (r.method === 'ar') expect(r.mat).toBe(1);
      else expect(r.lossless?.identical).toBe(r.lossless?.compared);
    }
    // Paired measurement: a question's row holds every variant's record before the next question's.
    expect(reference.records.slice(0, variants).map((r) => r.questionId)).toEqual(Array(variants).fill('story-01'));
    expect(reference.records[variants].questionId).toBe('story-02');
    const tr = s.rows.find((r) => r.variant === 'tr[template=2.2.2]' && r.dataset === 'stories' && r.subtask === 'overall')!;
    expect(tr.mat).toBeGreaterThan(1.5);
    expect(tr.meanDraftNodes).toBe(81);
    // the summarization question does not fit stories260K's 512-token context
    expect(s.skippedQuestions).toEqual([expect.objectContaining({ dataset: 'spec-bench', subtask: 'summarization', questionId: '241' })]);
    const mt = reference.records.find((r) => r.variant === 'ar' && r.questionId === '81')!;
    expect(mt.turns).toHaveLength(2);
    expect(mt.turns[1].promptTokens).toBeGreaterThan(mt.turns[0].promptTokens + 10);
    const runDir = path.join(dir, 'straight');
    for (const f of ['run.json', 'records.jsonl', 'summary.json', 'report.md', 'report.csv'])
      expect(existsSync(path.join(runDir, f))).toBe(true);
    const charts = readdirSync(path.join(runDir, 'charts'));
    expect(charts).toContain('stories260K__spec-bench__speedup.png');
    expect(charts).toContain('stories260K__stories__sweep-tr-template.png');
    expect(readFileSync(path.join(runDir, 'report.md'), 'utf8')).toContain('| tr[template=2.2.2]');
  });

  it('resumes a crashed run to the same deterministic results (replaying the drafter state)', async () => {
    // Records are written per question, every variant's in turn: the crash comes in the middle of the
    // second question's row, so on resume some units replay two questions and others one.
    const crashAt = 1 + 2 + others.length + 2;
    let written = 0;
    await expect(
      runBench({
        config,
        out: dir,
        name: 'crashed',
        progress: quiet(),
        afterRecord: () => {
          if (++written === crashAt) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const recordsFile = path.join(dir, 'crashed', 'records.jsonl');
    expect(readRecords(recordsFile).records).toHaveLength(crashAt);
    appendFileSync(recordsFile, '{"v":1,"session":0,"model":"stories'); // a torn write
    const partial = writeReport(path.join(dir, 'crashed')).summary;
    expect(partial).toMatchObject({ complete: false, records: crashAt, expectedRecords: reference.records.length });
    await expect(runBench({ config, out: dir, name: 'crashed', progress: quiet() })).rejects.toThrow(
      new RegExp(`already holds a run with ${crashAt} records: pass --resume to continue it, --overwrite to replace it`),
    );

    const { summary } = await runBench({ config, out: dir, name: 'crashed', resume: true, progress: quiet() });
    expect(deterministic(summary)).toEqual(deterministic(reference.summary));
    const records = readRecords(recordsFile).records;
    expectSameRecords(records);
    expect(records.filter((r) => r.session === 1)).toHaveLength(records.length - crashAt);
    expect(readManifest(path.join(dir, 'crashed')).sessions.map((x) => x.resume)).toEqual([false, true]);

    // --overwrite replaces the run (here with --limit 1: one question per subtask)
    const small = await runBench({ config, out: dir, name: 'crashed', overwrite: true, limit: 1, progress: quiet() });
    expect(small.summary).toMatchObject({ complete: true, records: (3 + others.length) * 4 });
    expect(readRecords(recordsFile).records).toHaveLength(small.summary.records);
    expect(readManifest(path.join(dir, 'crashed')).sessions).toHaveLength(1);
  });

  it('resumes after SIGKILL of the CLI mid-sweep without losing or duplicating records', async () => {
    const child = spawn(process.execPath, [BIN, 'run', config, '--out', dir, '--name', 'killed'], { env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = waitForExit(child);
    const recordsFile = path.join(dir, 'killed', 'records.jsonl');
    const lines = () => (existsSync(recordsFile) ? readFileSync(recordsFile, 'utf8').split('\n').length - 1 : 0);
    while (lines() < 7 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect({ ...(await exited), stderr }).toMatchObject({ signal: 'SIGKILL' });
    expect(lines()).toBeLessThan(reference.records.length);

    const resumed = await cli(['run', config, '--out', dir, '--name', 'killed', '--resume']);
    expect(resumed.stderr).toMatch(/resuming stories260K/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('stories260K · spec-bench');
    const summary = JSON.parse(readFileSync(path.join(dir, 'killed', 'summary.json'), 'utf8')) as Summary;
    expect(deterministic(summary)).toEqual(deterministic(reference.summary));
    expectSameRecords(readRecords(recordsFile).records);
  });

  it('stops cleanly on Ctrl-C at the next decode step (exit 130), then resumes, answering the question in flight again', async () => {
    const child = spawn(process.execPath, [BIN, 'run', config, '--out', dir, '--name', 'interrupted'], {
      env: { ...process.env, CI: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = waitForExit(child);
    const recordsFile = path.join(dir, 'interrupted', 'records.jsonl');
    while ((existsSync(recordsFile) ? readFileSync(recordsFile, 'utf8').split('\n').length - 1 : 0) < 5 && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    expect({ ...(await exited), stderr }).toMatchObject({ code: 130 });
    expect(stderr).toMatch(/interrupted \(SIGINT\) while running the sweep \(.*\); \d+ records kept in .*; rerun with --resume/);
    const { records, partialTail } = readRecords(recordsFile);
    expect(partialTail).toBe(0);
    expect(records.length).toBeLessThan(reference.records.length);
    const { summary } = await runBench({ config, out: dir, name: 'interrupted', resume: true, progress: quiet() });
    expect(deterministic(summary)).toEqual(deterministic(reference.summary));
  });

  it('refuses a malformed config with one clear line and writes nothing', async () => {
    const cases: [string, RegExp][] = [
      [CONFIG.replace('- method: tr', '- method: medusa'), /bad\.yaml: methods\[0\]\.method: unknown method "medusa"/],
      [
        CONFIG.replace('params: { template', 'params: { k: 0, template'),
        /bad\.yaml: methods\[0\]\.params\.k: Too small: expected number to be >=1 \(got 0\)/,
      ],
      [
        CONFIG.replace('- dataset: stories', '- dataset: jsonl\n    path: missing.jsonl\n    fields: { prompt: text }'),
        /datasets\[0\]\.path: dataset file not found/,
      ],
    ];
    for (const [text, message] of cases) {
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, text);
      await expect(runBench({ config: bad, out: dir, name: 'bad', progress: quiet() })).rejects.toThrow(message);
      expect(existsSync(path.join(dir, 'bad'))).toBe(false);
    }
    const out = await cli(['run', path.join(dir, 'bad.yaml'), '--out', dir, '--name', 'bad']);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(dir, 'bad'))).toBe(false);
  });

  it('trbench check passes on its own baseline and fails on one with a higher MAT', async () => {
    const summaryFile = path.join(dir, 'straight', 'summary.json');
    const baselineFile = path.join(dir, 'baseline.json');
    expect((await cli(['check', '--summary', summaryFile, '--baseline', baselineFile, '--update'])).code).toBe(0);
    const pass = await cli(['check', '--summary', summaryFile, '--baseline', baselineFile]);
    expect(pass.stdout).toMatch(/check passed/);
    expect(pass.code).toBe(0);
    const baseline = JSON.parse(readFileSync(baselineFile, 'utf8'));
    const row = baseline.rows.find(
      (r: { variant: string; subtask: string; dataset: string }) =>
        r.variant === 'tr[template=2.2.2]' && r.dataset === 'stories' && r.subtask === 'overall',
    );
    row.mat *= 1.05;
    writeFileSync(baselineFile, JSON.stringify(baseline));
    const fail = await cli(['check', '--summary', summaryFile, '--baseline', baselineFile]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/REGRESSED .*stories .*tr\[template=2\.2\.2\] .*overall .*MAT/);
    expect(fail.stdout).toMatch(/check FAILED: 1 of \d+ checks regressed/);
  });
});
