import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { tunedTemplatePath, tuningKey } from './auto-template.ts';

describe('tuning key', () => {
  const model = new BigramModel({ vocabSize: 16, next: (t) => (t + 1) % 16, maxDraftNodes: 32 });
  it('includes a non-default maxNewTokens, and leaves keys of default tunings unchanged', () => {
    const base = tuningKey(model, 8, 24, ['a']);
    expect(tuningKey(model, 8, 24, ['a'], 128)).toEqual(base);
    expect(tuningKey(model, 8, 24, ['a'], 32)).toEqual({ ...base, maxNewTokens: 32 });
    expect(tunedTemplatePath(model, 8, 24, ['a'], 32)).not.toBe(tunedTemplatePath(model, 8, 24, ['a']));
    expect(tunedTemplatePath(model, 8, 24, ['a'], 128)).toBe(tunedTemplatePath(model, 8, 24, ['a']));
  });
});
