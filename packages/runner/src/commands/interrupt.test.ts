// Ctrl-C and SIGTERM in every slow phase, as a user meets them: a real `trbench` child process is signalled
// once the phase has started (its progress line is on stderr) and must end within 5 s with 130 / 143, one
// clean line saying what was interrupted and what was kept, no stack trace and no partial output file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../sweep/run-lock.ts';
import { type CliResult, startTrbench } from '../testing/cli.ts';

/** Generous: the child's start (tsx, native backends) on a loaded 2-core machine. */
const PHASE_START_MS = 90_000;
/** What the issue allows from the signal to the exit. */
const EXIT_WITHIN_MS = 5_000;

let dir: string;
let cache: string;
const env = () => ({ TRBENCH_CACHE: cache, TRBENCH_PROGRESS_EVERY: '0.5' });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-interrupt-'));
  cache = path.join(dir, 'cache');
  mkdirSync(cache);
});

/** Starts trbench, waits for `phase` on stderr, sends `signal`, and returns what it printed and how fast it ended. */
async function interruptAt(
  args: string[],
  phase: RegExp,
  signal: NodeJS.Signals,
): Promise<CliResult & { exitMs: number; lastLines: string[] }> {
  const cli = startTrbench(args, { env: env(), cwd: dir });
  await cli.waitForStderr(phase, PHASE_START_MS);
  const t0 = Date.now();
  cli.kill(signal);
  const result = await cli.ended;
  const exitMs = Date.now() - t0;
  return { ...result, exitMs, lastLines: result.stderr.trimEnd().split('\n').slice(-3) };
}

/** One clean line, the right code, no trace of an exception. */
function expectCleanStop(r: CliResult & { exitMs: number }, signal: 'SIGINT' | 'SIGTERM', during: RegExp): string {
  expect(r.exitMs).toBeLessThan(EXIT_WITHIN_MS);
  expect(r.signal).toBeNull();
  expect(r.code).toBe(signal === 'SIGINT' ? 130 : 143);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('trbench: interrupted'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^trbench: interrupted \\(${signal}\\) while `));
  expect(lines[0]).toMatch(during);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/InterruptedError|AbortError|Error:/);
  return lines[0];
}

describe('Ctrl-C / SIGTERM in every slow phase', () => {
  it('tuning (trbench tune, as --template auto): stops within 5 s during calibration; nothing is cached', async () => {
    const r = await interruptAt(['tune', '--force'], /calibration: 0\/\d+ prompts/, 'SIGINT');
    const line = expectCleanStop(r, 'SIGINT', /tuning the TR tree \(calibration\)/);
    expect(line).toMatch(/nothing was cached: finished measurements are discarded/);
    expect(existsSync(path.join(cache, 'tuned-templates')) ? readdirSync(path.join(cache, 'tuned-templates')) : []).toEqual([]);
  }, 180_000);

  it('a sweep (SIGTERM): stops at the next decode step, keeps whole rows of records, releases its lock', async () => {
    const config = path.join(dir, 'sweep.yaml');
    writeFileSync(
      config,
      'maxNewTokens: 256\nwarmup: 0\nmodels:\n  - model: stories260K\ndatasets:\n  - dataset: stories\nmethods:\n  - method: tr\n  - method: pld\n',
    );
    const r = await interruptAt(['run', config, '--out', dir, '--name', 'sweep'], /question runs, ETA .* · .* q /, 'SIGTERM');
    const line = expectCleanStop(r, 'SIGTERM', /running the sweep \(/);
    expect(line).toMatch(/(\d+) records kept in .*records\.jsonl; rerun with --resume to continue/);
    const runDir = path.join(dir, 'sweep');
    expect(existsSync(path.join(runDir, LOCK_FILE))).toBe(false);
    const records = readFileSync(path.join(runDir, 'records.jsonl'), 'utf8').split('\n').filter(Boolean);
    // Rows are written whole (ar, tr, pld): the question in flight has no record and --resume answers it again.
    expect(records.length % 3).toBe(0);
    expect(Number(/(\d+) records kept/.exec(line)![1])).toBe(records.length);
    for (const rec of records) JSON.parse(rec);
  }, 180_000);

  it('REST corpus sampling (trbench corpus): stops within 5 s, the output file never appears', async () => {
    const out = path.join(dir, 'corpus.jsonl');
    const r = await interruptAt(['corpus', '--out', out, '--samples', '5000'], /sampling corpus: \d+\/5000 samples/, 'SIGINT');
    const line = expectCleanStop(r, 'SIGINT', /sampling the corpus/);
    expect(line).toMatch(/nothing was written to/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('corpus.jsonl'))).toEqual([]);
  }, 180_000);

  it('REST datastore auto (generate --method rest): stops while sampling its corpus; nothing is cached', async () => {
    const r = await interruptAt(
      ['generate', '--method', 'rest', '--rest-datastore', 'auto', '--prompt', 'Once'],
      /\[rest\] sampling corpus: /,
      'SIGINT',
    );
    expectCleanStop(r, 'SIGINT', /sampling the REST corpus/);
    expect(existsSync(path.join(cache, 'rest')) ? readdirSync(path.join(cache, 'rest')) : []).toEqual([]);
  }, 180_000);

  it('REST datastore build: stops between suffix-array rounds; the datastore file never appears', async () => {
    // A long periodic corpus: prefix doubling needs ~log2(n) rounds to tell its suffixes apart.
    const corpus = path.join(dir, 'periodic.jsonl');
    const period = Array.from({ length: 997 }, (_, i) => 3 + ((i * 7) % 500));
    const doc = JSON.stringify({ tokens: Array.from({ length: 3_000_000 }, (_, i) => period[i % period.length]) });
    writeFileSync(corpus, `${doc}\n`);
    const out = path.join(dir, 'periodic.rest');
    const r = await interruptAt(['datastore', 'build', '--corpus', corpus, '--out', out], /datastore suffix array: /, 'SIGINT');
    expectCleanStop(r, 'SIGINT', /building the datastore/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('periodic.rest'))).toEqual([]);
  }, 180_000);

  it('twin writing: stops between tensors; neither the twin nor its temporary file is left in the cache', async () => {
    const r = await interruptAt(
      ['generate', '--model', 'twin:d2048-l5-h16-kv8-f5632', '--prompt', 'Once', '--max-new-tokens', '1'],
      /writing twin:d2048-l5-h16-kv8-f5632/,
      'SIGINT',
    );
    const line = expectCleanStop(r, 'SIGINT', /writing twin:d2048-l5-h16-kv8-f5632:f16 into the model cache/);
    expect(line).toMatch(/the partial file is removed/);
    const twins = path.join(cache, 'models', 'twins');
    expect(existsSync(twins) ? readdirSync(twins) : []).toEqual([]);
  }, 180_000);
});

describe('progress on a non-terminal', () => {
  it('prints a line with counts and an ETA every few seconds (TRBENCH_PROGRESS_EVERY) instead of a bar', async () => {
    const cli = startTrbench(['corpus', '--out', path.join(dir, 'progress.jsonl'), '--samples', '5000'], { env: env(), cwd: dir });
    await cli.waitForStderr(/(sampling corpus: [1-9]\d*\/5000 samples.*\n[\s\S]*){3}/, PHASE_START_MS);
    cli.kill('SIGINT');
    const r = await cli.ended;
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('sampling corpus: '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(/^sampling corpus: \d+\/5000 samples \(\d+%\), \d+ tokens, \S+ elapsed, ETA \S+$/);
    // Counts move forward and an ETA appears once something is done.
    const counts = lines.map((l) => Number(/: (\d+)\//.exec(l)![1]));
    expect(counts[counts.length - 1]).toBeGreaterThan(counts[0]);
    expect(lines[lines.length - 1]).toMatch(/ETA \d+(h|m|s)/);
    // No carriage returns or cursor moves: it is a log, not a bar.
    expect(r.stderr.includes('\r') || r.stderr.includes(`${String.fromCharCode(27)}[`)).toBe(false);
  }, 180_000);
});
