import { describe, expect, it } from 'vitest';
import { renderCharts } from './charts.ts';
import { summarize } from './summary.ts';
import { fixtureManifest, fixtureRecords } from './test-fixtures.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('renderCharts', () => {
  it('renders speedup, MAT and accepted-length charts as PNG for each model × dataset', () => {
    const charts = renderCharts(summarize(fixtureManifest(), fixtureRecords()));
    expect(charts.map((c) => c.name)).toEqual(['m__d__speedup.png', 'm__d__mat.png', 'm__d__accept-hist.png']);
    for (const c of charts) expect(c.png.subarray(0, 8).equals(PNG)).toBe(true);
  });

  it('adds a line chart per swept parameter', () => {
    const manifest = fixtureManifest();
    manifest.variants.push({ id: 'tr[k=4]', method: 'tr', params: { k: 4 }, datasets: null });
    const records = fixtureRecords();
    for (const r of records.filter((x) => x.variant === 'tr[k=8]'))
      records.push({ ...r, variant: 'tr[k=4]', params: { k: 4 }, steps: r.steps + 1 });
    const names = renderCharts(summarize(manifest, records)).map((c) => c.name);
    expect(names).toContain('m__d__sweep-tr-k.png');
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
});
