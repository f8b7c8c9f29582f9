import { describe, expect, it } from 'vitest';
import { renderReportCsv } from './report-csv.ts';
import { renderReportMarkdown, table1 } from './report-md.ts';
import { summarize } from './summary.ts';
import { fixtureManifest, fixtureRecords } from './test-fixtures.ts';

describe('reports', () => {
  const summary = summarize(fixtureManifest(), fixtureRecords());

  it('lays Table 1 out as the paper: subtask speedups, then MAT, tok/s, speedup, lossless', () => {
    const lines = table1(summary, 'm', 'd').split('\n');
    expect(lines[0].split('|').map((c) => c.trim())).toEqual([
      '',
      'method',
      's1',
      's2',
      'MAT',
      'tok/s',
      'Spd',
      'lossless',
      'questions',
      'skipped',
      '',
    ]);
    expect(lines[2].split('|').map((c) => c.trim())).toEqual(['', 'ar', '1.00', '1.00', '1.00', '100.0', '1.00', 'ref', '3', '1', '']);
    expect(lines[3].split('|').map((c) => c.trim())).toEqual(['', 'tr[k=8]', '2.00', '4.00', '2.00', '266.7', '2.67', '3/3', '3', '1', '']);
  });

  it('shows a lossless failure with its first divergence', () => {
    const records = fixtureRecords();
    records[5].lossless = { identical: false, turn: 1, index: 7 };
    const md = table1(summarize(fixtureManifest(), records), 'm', 'd');
    expect(md).toContain('2/3 ✗ (q q2 turn 1 @7)');
  });

  it('writes report.md with provenance, skipped questions and chart links', () => {
    const md = renderReportMarkdown(summary, ['charts/m__d__mat.png']);
    expect(md).toContain('# trbench report: fixture');
    expect(md).toContain('Test CPU, 2 cores');
    expect(md).toContain('| m     | d       | s2      | q4       | too long |');
    expect(md).toContain('![charts/m__d__mat.png](charts/m__d__mat.png)');
  });

  it('writes report.csv with one line per variant and full-precision numbers', () => {
    const [header, ar, tr] = renderReportCsv(summary).trim().split('\n');
    expect(header.split(',').slice(0, 9)).toEqual([
      'model',
      'dataset',
      'method',
      'variant',
      'speedup_s1',
      'speedup_s2',
      'mat',
      'tokens_per_s',
      'tokens_per_s_std',
    ]);
    expect(ar.startsWith('m,d,ar,ar,1,1,1,100,,1,')).toBe(true);
    const cells = tr.split(',');
    expect(cells.slice(0, 7)).toEqual(['m', 'd', 'tr', 'tr[k=8]', '2', '4', '2']);
    expect(Number(cells[9])).toBeCloseTo(8 / 3, 12);
    expect(tr.endsWith('"{""k"":8}"')).toBe(true);
  });
});
