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

// A wide twin (issue 19) pads stories260K's 512 tokens to 32,000 with `[PAD<id>]` entries of type UNUSED.
// llama.cpp's SPM tokenizer does not skip unused tokens: it merges any two adjacent pieces whose
// concatenation is a token. So no text reaches a pad token exactly when no split of its text is made of
// pieces that can themselves be formed (a single character, or a token so made): checked here for all
// 31,488 of them, and by tokenizing their texts.
describe('Vocabulary (a V = 32,000 twin)', () => {
  let wide: Vocabulary;
  beforeAll(async () => {
    const resolved = await resolveModel('twin:d96-l5-h12-kv6-f172-v32000:f16');
    wide = await Vocabulary.openVocabOnly(resolved.path, resolved.extraStopTokens);
  }, 120_000);
  afterAll(() => wide?.dispose());
  const UNUSED = 1 << 1; // LLAMA_TOKEN_ATTR_UNUSED

  it('marks the 31,488 extra tokens unused and keeps the real ones', () => {
    expect(wide.size).toBe(32_000);
    for (let t = 0; t < 512; t++) expect(wide.entry(t)).toEqual(vocab.entry(t));
    for (let t = 512; t < 32_000; t++) {
      const e = wide.entry(t);
      expect(e.text).toBe(`[PAD${t}]`);
      expect(e.attr & UNUSED).toBe(UNUSED);
    }
    expect(wide.stopTokens).toEqual(vocab.stopTokens);
  });

  it('no text tokenizes to an unused token: none can be formed by merges, and their own texts do not', () => {
    const texts = new Set<string>();
    for (let t = 0; t < wide.size; t++) texts.add(wide.entry(t).text);
    const memo = new Map<string, boolean>();
    const formable = (s: string): boolean => {
      if ([...s].length === 1) return true;
      const known = memo.get(s);
      if (known !== undefined) return known;
      memo.set(s, false);
      let ok = false;
      if (texts.has(s)) for (let i = 1; i < s.length && !ok; i++) ok = formable(s.slice(0, i)) && formable(s.slice(i));
      memo.set(s, ok);
      return ok;
    };
    for (let t = 512; t < wide.size; t++) expect(formable(`[PAD${t}]`)).toBe(false);
    // Counter-check of the rule on real tokens: every multi-character real token is formable.
    for (let t = 0; t < 512; t++)
      if (vocab.entry(t).attr === 1 << 2 && [...vocab.entry(t).text].length > 1) expect(formable(vocab.entry(t).text)).toBe(true);
    const all = Array.from({ length: wide.size - 512 }, (_, i) => `[PAD${512 + i}]`).join(' ');
    for (const text of [all, all.replaceAll(' ', ''), '[PAD512]', ' [PAD31999]', 'Once upon a time [PAD600] there was a cat.']) {
      const ids = wide.tokenize(text, true);
      expect(Array.from(ids).every((id) => id < 512)).toBe(true);
      expect(Array.from(ids)).toEqual(Array.from(vocab.tokenize(text, true)));
    }
  });
});
