import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecord, fixtureRecords } from '../testing/test-fixtures.ts';
import { renderReportMarkdown } from './report-md.ts';
import { acceptanceByPosition, renderSpsSection } from './report-sps.ts';
import { summarize } from './summary.ts';

describe('sps report section', () => {
  it('acceptance per position is conditional on the previous position', () => {
    // 4 steps: accepted 0, 1, 2 and 4 drafts (γ = 4).
    const hist = [0, 1, 1, 1, 0, 1];
    expect(acceptanceByPosition(hist, 4)).toEqual([3 / 4, 2 / 3, 1 / 2, 1]);
    expect(acceptanceByPosition([0, 5], 2)).toEqual([0, null]);
  });

  it('shows draft model, gamma, acceptance per position and draft time share', () => {
    const manifest = fixtureManifest();
    const sps = { id: 'sps[draftModel=q8]', method: 'sps', params: { draftModel: 'stories260K:q8_0', gamma: 2 }, datasets: null };
    manifest.variants.push(sps);
    manifest.units.push({ key: JSON.stringify(['m', 'd', 0, sps.id]), model: 'm', dataset: 'd', repeat: 0, variant: sps.id, questions: 4 });
    const records = fixtureRecords();
    const draftModel = {
      name: 'stories260K:q8_0',
      sha256: 'e'.repeat(64),
      backend: { name: 'llama.cpp', version: '1', device: 'cpu', threads: 1 },
    };
    for (const [i, q] of ['q1', 'q2', 'q3'].entries()) {
      records.push(
        fixtureRecord({
          variant: sps.id,
          method: 'sps',
          params: sps.params,
          questionId: q,
          index: i,
          newTokens: 10,
          steps: 5,
          wallMs: 50,
          hist: [0, 1, 2, 2],
          draftModel,
        }),
      );
    }
    const summary = summarize(manifest, records);
    const md = renderSpsSection(summary).join('\n');
    expect(md).toContain('## Draft models (sps)');
    expect(md).toContain('stories260K:q8_0');
    expect(md).toContain('eeeeeeeeeeee');
    expect(md).toContain('γ = 2');
    // α1 = 12/15, α2 = 6/12; draft 3 ms of 147 ms of steps; forward 3 × 45 ms over 15 steps.
    const row = md.split('\n').find((l) => l.startsWith('| sps'));
    expect(row?.split('|').map((c) => c.trim())).toEqual([
      '',
      sps.id,
      'stories260K:q8_0',
      'eeeeeeeeeeee',
      'llama.cpp, cpu, 1 thr',
      'γ = 2',
      '2.00',
      '0.80',
      '0.50',
      '2',
      '0.200',
      '9.000',
      '',
    ]);
    expect(renderReportMarkdown(summary)).toContain('## Draft models (sps)');
  });

  it('is absent without sps variants', () => {
    expect(renderSpsSection(summarize(fixtureManifest(), fixtureRecords()))).toEqual([]);
  });
});
