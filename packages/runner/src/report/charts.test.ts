import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecords } from '../testing/test-fixtures.ts';
import { renderCharts, speedupMax, subtaskNote } from './charts.ts';
import { summarize } from './summary.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('renderCharts', () => {
  it('renders speedup, MAT and accepted-length charts as PNG for each model × dataset', () => {
    const charts = renderCharts(summarize(fixtureManifest(), fixtureRecords()));
    expect(charts.map((c) => c.name)).toEqual(['m__d__speedup.png', 'm__d__mat.png', 'm__d__accept-length.png']);
    for (const c of charts) expect(c.png.subarray(0, 8).equals(PNG)).toBe(true);
  });

  it('adds a two-panel chart per swept parameter', () => {
    const manifest = fixtureManifest();
    manifest.variants.push({ id: 'tr[k=4]', method: 'tr', params: { k: 4 }, datasets: null });
    const records = fixtureRecords();
    for (const r of records.filter((x) => x.variant === 'tr[k=8]'))
      records.push({ ...r, variant: 'tr[k=4]', params: { k: 4 }, steps: r.steps + 1 });
    const names = renderCharts(summarize(manifest, records)).map((c) => c.name);
    expect(names).toContain('m__d__sweep-tr-k.png');
  });

  it('charts no sweep for variants that differ in several parameters at once', () => {
    const manifest = fixtureManifest();
    manifest.variants.push({ id: 'tr[k=4,budget=2]', method: 'tr', params: { k: 4, budget: 2 }, datasets: null });
    const records = fixtureRecords();
    for (const r of records.filter((x) => x.variant === 'tr[k=8]'))
      records.push({ ...r, variant: 'tr[k=4,budget=2]', params: { k: 4, budget: 2 }, steps: r.steps + 1 });
    const names = renderCharts(summarize(manifest, records)).map((c) => c.name);
    expect(names.filter((n) => n.includes('sweep'))).toEqual([]);
  });

  it('draws text: a chart differs when only its labels differ', () => {
    const a = summarize(fixtureManifest(), fixtureRecords());
    const b = summarize(
      { ...fixtureManifest(), models: [{ ...fixtureManifest().models[0], id: 'n' }] },
      fixtureRecords().map((r) => ({ ...r, model: 'n' })),
    );
    const matA = renderCharts(a).find((c) => c.name.endsWith('mat.png'))!.png;
    const matB = renderCharts(b).find((c) => c.name.endsWith('mat.png'))!.png;
    expect(matA.equals(matB)).toBe(false);
  });

  it('labels a subtask whose questions were all skipped, and only that one', () => {
    const manifest = fixtureManifest();
    const records = fixtureRecords().map((r) =>
      r.subtask === 's2' ? { ...r, status: 'skipped' as const, skipReason: 'too long', turns: [], newTokens: 0, steps: 0, wallMs: 0 } : r,
    );
    const rows = summarize(manifest, records).rows;
    expect(subtaskNote(rows, 's2')).toBe('skipped: context');
    expect(subtaskNote(rows, 's1')).toBeNull();
    expect(subtaskNote(rows, 'overall')).toBeNull();
  });

  it('keeps AR = 1 in view and does not let a 1-degree-of-freedom whisker squash the bars', () => {
    expect(speedupMax([0.1, 0.5], [])).toBeCloseTo(1.15, 12);
    expect(speedupMax([2, 1.5], [[1.8, 2.2]])).toBeCloseTo(2.2 * 1.15, 12);
    expect(speedupMax([2], [[0.1, 300]])).toBeCloseTo(4 * 1.15, 12);
  });
});
