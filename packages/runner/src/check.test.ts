import { describe, expect, it } from 'vitest';
import { baselineOf, checkSummary, renderCheck } from './check.ts';
import { OVERALL, summarize } from './summary.ts';
import { fixtureManifest, fixtureRecords } from './test-fixtures.ts';

const current = () => summarize(fixtureManifest(), fixtureRecords());
const failed = ({ lines }: ReturnType<typeof checkSummary>) =>
  lines.filter((l) => !l.ok).map((l) => `${l.variant}/${l.subtask}/${l.metric}`);

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

  it('fails on an overall speedup drop beyond 25 % only', () => {
    const s = current();
    const baseline = baselineOf(s);
    const row = baseline.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    row.speedup = row.speedup! * 1.2; // current is 17 % lower: noise
    expect(failed(checkSummary(s, baseline))).toEqual([]);
    row.speedup = (row.speedup / 1.2) * 1.5; // current is 33 % lower
    expect(failed(checkSummary(s, baseline))).toEqual(['tr[k=8]/overall/speedup']);
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
