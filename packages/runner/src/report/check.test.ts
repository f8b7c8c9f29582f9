import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecords, numericDivergence } from '../testing/test-fixtures.ts';
import { baselineOf, checkSummary, readBaseline, readSummary, renderCheck } from './check.ts';
import { OVERALL, summarize } from './summary.ts';

const current = () => summarize(fixtureManifest(), fixtureRecords());
const failed = ({ lines }: ReturnType<typeof checkSummary>) =>
  lines.filter((l) => !l.ok).map((l) => `${l.variant}/${l.subtask}/${l.metric}`);

/** TR's overall row at speedup 1.0 [0.95, 1.05] (48 pairs over 8 questions), for the speedup gate's cases. */
function trAtOne(s: ReturnType<typeof current>) {
  const row = s.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
  row.speedup = 1.0;
  row.speedupCi = { low: 0.95, high: 1.05, questions: 8, pairs: 24, interval: 'repeats' };
  return row;
}

describe('checkSummary', () => {
  it('passes against a baseline made from the same summary', () => {
    const s = current();
    const result = checkSummary(s, baselineOf(s));
    expect(failed(result)).toEqual([]);
    expect(result.lines.some((l) => l.metric === 'MAT')).toBe(true);
    expect(result.notes).toEqual([]);
    expect(renderCheck(result.lines, false)).toBe('');
  });

  it('fails when the baseline has a higher MAT (more than 1 %)', () => {
    const s = current();
    const baseline = baselineOf(s);
    const row = baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    row.mat = row.mat! * 1.02;
    expect(failed(checkSummary(s, baseline))).toEqual(['tr[k=8]/overall/MAT']);
    row.mat = (row.mat / 1.02) * 1.005; // within 1 %
    expect(failed(checkSummary(s, baseline))).toEqual([]);
  });

  it('fails on a speedup only when its whole interval lies below baseline − 10 %', () => {
    const s = current();
    const row = trAtOne(s);
    const baseline = baselineOf(s);
    const b = baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    b.speedup = 1.15; // floor 1.035: the interval reaches it
    expect(failed(checkSummary(s, baseline))).toEqual([]);
    b.speedup = 1.2; // floor 1.08: the whole interval is below
    const result = checkSummary(s, baseline);
    expect(failed(result)).toEqual(['tr[k=8]/overall/speedup']);
    expect(renderCheck(result.lines, false)).toMatch(/1\.000 \[0\.950, 1\.050\] .*-16\.7% .*interval reaches 1\.080 \(-10%\)/);
    // a wider tolerance, and a point estimate when there is no interval
    expect(failed(checkSummary(s, baseline, { mat: 0.01, speedup: 0.15 }))).toEqual([]);
    row.speedupCi = { low: null, high: null, questions: 1, pairs: 1, interval: null };
    b.speedup = 1.1; // floor 0.99
    expect(failed(checkSummary(s, baseline))).toEqual([]);
    b.speedup = 1.12; // floor 1.008
    expect(failed(checkSummary(s, baseline))).toEqual(['tr[k=8]/overall/speedup']);
  });

  it('gates speedups only against a baseline from the same CPU model and vector extensions', () => {
    const s = current();
    s.environment = { ...s.environment!, cpu: 'AMD EPYC', simd: 'avx2+fma' };
    trAtOne(s);
    const baseline = baselineOf(s);
    expect(baseline.source).toMatchObject({ cpu: 'AMD EPYC', simd: 'avx2+fma' });
    baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!.speedup = 1.5;
    expect(failed(checkSummary(s, baseline))).toEqual(['tr[k=8]/overall/speedup']);
    // Same model name, other vector extensions (or another CPU): speedups are not compared, MAT still is.
    for (const source of [{ simd: 'avx512f+fma' }, { cpu: 'Intel(R) Xeon(R) Processor' }]) {
      const other = { ...baseline, source: { ...baseline.source, ...source } };
      const result = checkSummary(s, other);
      expect(failed(result)).toEqual([]);
      expect(result.lines.some((l) => l.metric === 'speedup')).toBe(false);
      expect(result.lines.some((l) => l.metric === 'MAT')).toBe(true);
      expect(result.notes).toContainEqual(expect.stringMatching(/^speedups not gated: the baseline's were measured on /));
    }
  });

  it('does not gate the speedups of a variant with speedupGate: false, and says so; its MAT still is', () => {
    const s = current();
    trAtOne(s);
    const baseline = baselineOf(s);
    const b = baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    b.speedup = 1.5;
    expect(failed(checkSummary(s, baseline))).toEqual(['tr[k=8]/overall/speedup']);
    s.variants = s.variants.map((v) => (v.id === 'tr[k=8]' ? { ...v, speedupGate: false as const } : v));
    b.mat = b.mat! * 1.02;
    const result = checkSummary(s, baseline);
    expect(failed(result)).toEqual(['tr[k=8]/overall/MAT']);
    expect(result.notes).toContainEqual(expect.stringMatching(/^speedups not gated for tr\[k=8\] \(speedupGate: false/));
  });

  it('gates the CPU-time speedup with --speedup-metric cpu', () => {
    const s = current();
    const row = s.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    row.speedup = 1.0;
    row.speedupCi = { low: 0.6, high: 1.4, questions: 8, pairs: 24, interval: 'repeats' };
    row.cpuSpeedup = 1.0;
    row.cpuSpeedupCi = { low: 0.98, high: 1.02, questions: 8, pairs: 24, interval: 'repeats' };
    const baseline = baselineOf(s);
    baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!.cpuSpeedup = 1.2;
    baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!.speedup = 1.2;
    expect(failed(checkSummary(s, baseline))).toEqual([]); // the wall-time interval is wide
    expect(failed(checkSummary(s, baseline, undefined, 'cpu'))).toEqual(['tr[k=8]/overall/speedup (CPU time)']);
    delete baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!.cpuSpeedup;
    expect(checkSummary(s, baseline, undefined, 'cpu').notes).toEqual([expect.stringMatching(/baseline has no CPU-time speedup/)]);
  });

  it('refuses summaries and baselines of the older format with what to do', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-check-'));
    const old = path.join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ schema: 'trbench-summary/1' }));
    expect(() => readSummary(old)).toThrow(/older trbench .*re-render it with `trbench report/);
    writeFileSync(old, JSON.stringify({ schema: 'trbench-baseline/1' }));
    expect(() => readBaseline(old)).toThrow(/older baseline .*--update/);
  });

  it('fails on any lossless failure, whatever the baseline says', () => {
    const records = fixtureRecords();
    records[5].lossless = { identical: false, turn: 1, index: 3 };
    const s = summarize(fixtureManifest(), records);
    const result = checkSummary(s, baselineOf(current()));
    expect(failed(result)).toEqual(['tr[k=8]/overall/lossless']);
    const table = renderCheck(result.lines, false);
    expect(table).toContain('REGRESSED');
    expect(table).toContain('q q2 turn 1 token 3');
  });

  it('passes numeric tie flips, reporting them; fails them with strict numerics (flag or config)', () => {
    const records = fixtureRecords();
    records[5].lossless = numericDivergence(3, 0.004);
    const s = summarize(fixtureManifest(), records);
    const loose = checkSummary(s, baselineOf(current()));
    expect(failed(loose)).toEqual([]);
    expect(loose.lines.find((l) => l.variant === 'tr[k=8]' && l.metric === 'lossless')?.current).toBe('3/3 (1 numeric)');
    const strict = checkSummary(s, baselineOf(current()), undefined, 'wall', true);
    expect(failed(strict)).toEqual(['tr[k=8]/overall/lossless']);
    expect(renderCheck(strict.lines, false)).toContain('numeric: q q2 turn 1 token 3');
    const fromConfig = { ...s, config: { ...s.config, strictNumerics: true } };
    expect(failed(checkSummary(fromConfig, baselineOf(current())))).toEqual(['tr[k=8]/overall/lossless']);
  });

  it('fails on a missing row, fewer questions or an incomplete run; notes another config hash', () => {
    const s = current();
    const baseline = baselineOf(s);
    baseline.rows.push({ ...baseline.rows[0], variant: 'pld' });
    baseline.rows[0].questions += 1;
    expect(failed(checkSummary(s, baseline))).toEqual(['ar/s1/questions', 'pld/s1/row']);
    const other = { ...baselineOf(s), source: { ...baselineOf(s).source, configHash: 'f'.repeat(64) } };
    expect(failed(checkSummary(s, other))).toEqual([]);
    expect(checkSummary(s, other).notes[0]).toMatch(/config hash .* differs from the baseline's \(ffffffffffff\)/);
    const partial = summarize(fixtureManifest(), fixtureRecords().slice(0, 7));
    expect(failed(checkSummary(partial, baselineOf(s)))).toContain('//records');
  });
});
