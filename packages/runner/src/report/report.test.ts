import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecords, numericDivergence } from '../testing/test-fixtures.ts';
import { renderReportCsv } from './report-csv.ts';
import { renderReportMarkdown, table1 } from './report-md.ts';
import { summarize } from './summary.ts';

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
      'Spd [95% CI]',
      'Spd (Spec-Bench)',
      'lossless',
      'questions',
      'skipped',
      '',
    ]);
    expect(lines[2].split('|').map((c) => c.trim())).toEqual([
      '',
      'ar',
      '1.00',
      '1.00',
      '1.00',
      '100.0',
      '1.00×',
      '1.00',
      'ref',
      '3',
      '1',
      '',
    ]);
    const tr = lines[3].split('|').map((c) => c.trim());
    expect(tr.slice(0, 6)).toEqual(['', 'tr[k=8]', '2.00', '4.00', '2.00', '266.7']);
    expect(tr[6]).toMatch(/^2\.52× \[\d\.\d\d, \d+\.\d\d\]$/); // geometric mean of 2, 2, 4
    expect(tr.slice(7)).toEqual(['2.67', '3/3', '3', '1', '']);
  });

  it('shows a lossless failure with its first divergence', () => {
    const records = fixtureRecords();
    records[5].lossless = { identical: false, turn: 1, index: 7 };
    const md = table1(summarize(fixtureManifest(), records), 'm', 'd');
    expect(md).toContain('2/3 ✗ (q q2 turn 1 @7)');
  });

  it('counts numeric tie flips as passing with their Δ and lists every divergence', () => {
    const records = fixtureRecords();
    records[5].lossless = numericDivergence(7, 0.003);
    const s = summarize(fixtureManifest(), records);
    expect(table1(s, 'm', 'd')).toContain('3/3 (1 numeric: Δ 0.003)');
    const md = renderReportMarkdown(s, []);
    expect(md).toContain('## Divergences from plain decoding');
    expect(md).toMatch(
      /\| m +\| d +\| tr\[k=8\] +\| q2 +\| +1:7 \| numeric \| 0\.0030 \| 10 \(5\.0010; runner-up 20 4\.9980\) +\| 20 \(5\.0000; runner-up 10 4\.9985\) +\| trace +\|/,
    );
    const tr = records.filter((r) => r.variant === 'tr[k=8]' && r.lossless !== null && r !== records[5]);
    tr[0].lossless = numericDivergence(4, 0.008);
    expect(table1(summarize(fixtureManifest(), records), 'm', 'd')).toMatch(/3\/3 \(2 numeric: Δ 0\.00[38], 0\.00[38]\)/);
  });

  it('writes report.md with provenance, skipped questions and chart links', () => {
    const md = renderReportMarkdown(summary, ['charts/m__d__mat.png']);
    expect(md).toContain('# trbench report: fixture');
    expect(md).toContain('Test CPU, 2 cores');
    expect(md).toContain('| m     | d       | s2      | q4       | too long |');
    expect(md).toContain('![charts/m__d__mat.png](charts/m__d__mat.png)');
    // per-step time split: each fixture turn spends wallMs − 5 ms in the forward and 1 ms in each other phase (AR: 10 steps)
    expect(md).toMatch(/\| method +\| µs\/step \| draft \| forward \| verify \| update \| +rest \| outside forward \| prefill ms\/run \|/);
    expect(md).toMatch(/\| ar +\| +9900\.0 \| 100\.0 \| +9500\.0 \| +100\.0 \| +100\.0 \| 100\.0 \| +4 % \| +1\.00 \|/);
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
    expect(ar.startsWith('m,d,ar,ar,1,1,1,100,,1,,,,1,')).toBe(true);
    const cells = tr.split(',');
    const col = (name: string) => cells[header.split(',').indexOf(name)];
    expect(cells.slice(0, 7)).toEqual(['m', 'd', 'tr', 'tr[k=8]', '2', '4', '2']);
    expect(Number(col('speedup'))).toBeCloseTo(16 ** (1 / 3), 12);
    expect(Number(col('speedup_ci_low'))).toBeLessThan(2);
    expect(col('speedup_ci_from')).toBe('questions');
    expect(Number(col('speedup_spec_bench'))).toBeCloseTo(8 / 3, 12);
    expect(Number(col('us_per_step_verify'))).toBeCloseTo(3000 / 15, 9);
    expect(col('lossless_numeric')).toBe('0');
    expect(tr.endsWith('"{""k"":8}"')).toBe(true);
  });
});
