// Reports and charts name an oracle draft (a draft model computing the target's function).
import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecord } from '../testing/test-fixtures.ts';
import { renderReportMarkdown } from './report-md.ts';
import { summarize, usesOracleDraft, variantLabel } from './summary.ts';

const backend = { name: 'llama.cpp', version: 'x', device: 'cpu', threads: 1 };

function summaryWith(draft: { name: string; oracle?: boolean }, modelSpec = 'm.gguf') {
  const manifest = fixtureManifest();
  manifest.models[0].spec = modelSpec;
  manifest.variants.push({ id: 'sps', method: 'sps', params: { draftModel: draft.name, gamma: 4 }, datasets: null });
  manifest.units.push({ key: JSON.stringify(['m', 'd', 0, 'sps']), model: 'm', dataset: 'd', repeat: 0, variant: 'sps', questions: 4 });
  const records = ['q1', 'q2', 'q3', 'q4'].flatMap((q, i) => [
    fixtureRecord({ questionId: q, index: i, subtask: i < 2 ? 's1' : 's2' }),
    fixtureRecord({
      questionId: q,
      index: i,
      subtask: i < 2 ? 's1' : 's2',
      variant: 'sps',
      method: 'sps',
      steps: 2,
      hist: [0, 0, 0, 0, 2],
      draftModel: { name: draft.name, sha256: 'd'.repeat(64), backend, ...(draft.oracle === undefined ? {} : { oracle: draft.oracle }) },
    }),
  ]);
  return summarize(manifest, records);
}

describe('oracle draft labels', () => {
  it('labels a variant whose records say its draft is an oracle, in Table 1 and the draft-model section', () => {
    const s = summaryWith({ name: 'twin:d128-l5-h8-kv4-f172-v32000:f32', oracle: true });
    expect(usesOracleDraft(s, 'm', 'sps')).toBe(true);
    expect(variantLabel(s, 'm', 'sps')).toBe('sps (oracle draft)');
    expect(variantLabel(s, 'm', 'ar')).toBe('ar');
    const md = renderReportMarkdown(s);
    expect(md).toMatch(/\| sps \(oracle draft\) \|/);
    expect(md).toMatch(/\*\*oracle draft\*\*: the draft model computes the target's function/);
  });

  it('a real draft is not labelled; records made before the check fall back on the names (twins of stories260K)', () => {
    expect(variantLabel(summaryWith({ name: 'stories260K:q8_0', oracle: false }, 'stories260K'), 'm', 'sps')).toBe('sps');
    expect(variantLabel(summaryWith({ name: 'stories260K:q8_0' }, 'stories260K'), 'm', 'sps')).toBe('sps');
    expect(
      variantLabel(summaryWith({ name: 'twin:d128-l5-h8-kv4-f172-v32000:f32' }, 'twin:d2048-l8-h32-kv16-f5632-v32000'), 'm', 'sps'),
    ).toBe('sps (oracle draft)');
  });
});
