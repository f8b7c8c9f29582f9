import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { readRecords } from '../sweep/records.ts';
import { readManifest, runFiles } from '../sweep/run-dir.ts';
import { renderCharts } from './charts.ts';
import { renderReportCsv } from './report-csv.ts';
import { renderReportMarkdown } from './report-md.ts';
import { type Summary, summarize } from './summary.ts';

/**
 * Summarises a run folder from its manifest and records and (re)writes summary.json, report.md,
 * report.csv and the charts, each file atomically. Works on an unfinished run too (marked incomplete).
 */
export function writeReport(dir: string): { summary: Summary; files: string[] } {
  const files = runFiles(dir);
  const manifest = readManifest(dir);
  const { records } = readRecords(files.records);
  const summary = summarize(manifest, records);
  const charts = renderCharts(summary);
  mkdirSync(files.charts, { recursive: true });
  const written: string[] = [];
  for (const chart of charts) {
    const file = path.join(files.charts, chart.name);
    writeFileAtomic(file, chart.png);
    written.push(file);
  }
  // Charts an earlier version or another config drew (renamed since, a variant removed) would be stale.
  for (const f of readdirSync(files.charts)) {
    if (f.endsWith('.png') && !charts.some((c) => c.name === f)) rmSync(path.join(files.charts, f), { force: true });
  }
  const chartLinks = charts.map((c) => `charts/${c.name}`);
  writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileAtomic(files.reportMd, renderReportMarkdown(summary, chartLinks));
  writeFileAtomic(files.reportCsv, renderReportCsv(summary));
  return { summary, files: [files.summary, files.reportMd, files.reportCsv, ...written] };
}
