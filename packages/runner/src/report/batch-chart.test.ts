import { describe, expect, it } from 'vitest';
import { batchSpeedupChart } from './batch-chart.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('batchSpeedupChart', () => {
  it('draws one line per variant and budget through the report renderer', () => {
    const rows = [1, 2, 4, 8].flatMap((batch) => [
      { variant: 'suffix', budget: 'per-request', batch, speedup: { estimate: 0.8 - batch * 0.01 } },
      { variant: 'suffix', budget: 'shared', batch, speedup: { estimate: 0.95 } },
    ]);
    const png = batchSpeedupChart(rows, 'Speedup vs batch size', 'paired');
    expect(png?.subarray(0, 4).equals(PNG)).toBe(true);
  });

  it('draws nothing when no row has a speedup', () => {
    expect(batchSpeedupChart([{ variant: 'ar', budget: 'per-request', batch: 1, speedup: null }], 't', 's')).toBeNull();
  });
});
