import { resolveModel } from '@trbench/assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocabulary } from './vocabulary.ts';

// The tokenizer both backends use, on the real stories260K vocabulary (vocab-only load: no weights).
// That both backends tokenize through it identically is checked in their own tests.
let vocab: Vocabulary;
beforeAll(async () => {
  const resolved = await resolveModel('stories260K');
  vocab = await Vocabulary.openVocabOnly(resolved.path, resolved.extraStopTokens);
});
afterAll(() => vocab?.dispose());

describe('Vocabulary (stories260K)', () => {
  it('tokenizes with BOS and detokenizes back to the text', () => {
    expect(vocab.size).toBe(512);
    const ids = vocab.tokenize('Once upon a time, there was a cat.', true);
    expect(ids[0]).toBe(1);
    expect(ids.length).toBeGreaterThan(5);
    expect(vocab.detokenize(ids.subarray(1))).toBe('Once upon a time, there was a cat.');
    expect(Array.from(vocab.tokenize('', true))).toEqual([1]);
  });

  it('grows its buffers for long texts (60,000 characters)', () => {
    const ids = vocab.tokenize('x'.repeat(60_000), false);
    expect(ids.length).toBeGreaterThan(4096);
    expect(vocab.detokenize(ids)).toBe('x'.repeat(60_000));
  });

  it('knows the stop tokens: end of generation and the model file extras', () => {
    expect(vocab.stopTokens.length).toBeGreaterThan(0);
    for (const t of vocab.stopTokens) expect(vocab.isEndOfGeneration(t)).toBe(true);
    expect(vocab.isEndOfGeneration(vocab.tokenize('cat', false)[0])).toBe(false);
  });
});
