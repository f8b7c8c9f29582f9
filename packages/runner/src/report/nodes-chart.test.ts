import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecords } from '../testing/test-fixtures.ts';
import { speedupVsNodesChart } from './nodes-chart.ts';
import { summarize } from './summary.ts';

describe('speedupVsNodesChart', () => {
  it('draws a PNG for a model × dataset with speedups, and nothing for one without rows', () => {
    const summary = summarize(fixtureManifest(), fixtureRecords());
    const row = summary.rows.find((r) => r.speedup !== null && r.meanDraftNodes !== null)!;
    const png = speedupVsNodesChart(summary, row.model, row.dataset);
    expect(png).not.toBeNull();
    expect(png!.subarray(1, 4).toString()).toBe('PNG');
    expect(speedupVsNodesChart(summary, row.model, 'no-such-dataset')).toBeNull();
  });
});
