// Which draft models compute the target's function (an oracle draft), read from the real files' metadata.
import { resolveModel } from '@trbench/assets';
import { describe, expect, it } from 'vitest';
import { isOracleDraft } from './draft-model.ts';

describe('isOracleDraft (real GGUF files)', () => {
  it('twins of stories260K and stories260K itself are oracle drafts of each other; a quantized or layer-dropped copy is not', async () => {
    const stories = await resolveModel('stories260K');
    const twin = await resolveModel('twin:d128-l5-h8-kv4-f172:f32');
    const twinF16 = await resolveModel('twin:d128-l6-h8-kv4-f172:f16');
    const q8 = await resolveModel('stories260K:q8_0');
    const layers = await resolveModel('stories260K:layers=0,1');
    expect(isOracleDraft(twin, stories)).toBe(true); // the draft is the twin's source
    expect(isOracleDraft(stories, twin)).toBe(true); // the draft is a twin of the target
    expect(isOracleDraft(twinF16, twin)).toBe(true); // two twins of one source
    expect(isOracleDraft(stories, stories)).toBe(true); // the same file
    expect(isOracleDraft(stories, q8)).toBe(false);
    expect(isOracleDraft(twin, q8)).toBe(false);
    expect(isOracleDraft(stories, layers)).toBe(false);
  }, 120_000);
});
