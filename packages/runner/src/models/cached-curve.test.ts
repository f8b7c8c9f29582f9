import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BigramModel } from '@trbench/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedCurveSizes, ensureBackendCurve } from './cached-curve.ts';

describe('cached cost curve', () => {
  const saved = process.env.TRBENCH_CACHE;
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'trbench-curve-'));
    process.env.TRBENCH_CACHE = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TRBENCH_CACHE;
    else process.env.TRBENCH_CACHE = saved;
  });

  it('times every size to 16, a few above, and the largest', () => {
    expect(cachedCurveSizes(4)).toEqual([1, 2, 3, 4]);
    expect(cachedCurveSizes(32)).toEqual([...Array.from({ length: 16 }, (_, i) => i + 1), 20, 24, 32]);
    expect(cachedCurveSizes(81).slice(-3)).toEqual([48, 64, 81]);
  });

  it('measures once per model, backend and machine, then reads the cache', async () => {
    const model = new BigramModel({ vocabSize: 64, next: (t) => (t + 1) % 64, maxDraftNodes: 81, contextSize: 512 });
    const first = await ensureBackendCurve(model, 8, { repeats: 1 });
    expect(first.fromCache).toBe(false);
    expect(first.curve.sizes).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(first.curve.ratio[0]).toBe(1);
    const evaluated = model.evaluatedSizes.length;
    const again = await ensureBackendCurve(model, 8, { repeats: 1 });
    expect(again).toMatchObject({ fromCache: true, file: first.file });
    expect(model.evaluatedSizes.length).toBe(evaluated);
    expect(readdirSync(path.join(dir, 'cost-curves'))).toHaveLength(1);
    // Another node budget is another curve.
    expect((await ensureBackendCurve(model, 4, { repeats: 1 })).fromCache).toBe(false);
  });
});
