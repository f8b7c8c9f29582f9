import { describe, expect, it } from 'vitest';
import { getMethod } from './index.ts';

describe('lookahead method parameters', () => {
  it("defaults to LADE's full-match rule (n-1), the pool of G and trbench's seeded window start", () => {
    const params = getMethod('lookahead').params;
    expect(params.parse({})).toMatchObject({ fullMatchCommit: 'n-1', poolSize: null, windowSeed: null, level: 5, window: 7, guess: 7 });
    expect(params.parse({ fullMatchCommit: 'n', poolSize: -1, windowSeed: 10 })).toMatchObject({
      fullMatchCommit: 'n',
      poolSize: -1,
      windowSeed: 10,
    });
    expect(() => params.parse({ poolSize: 3 })).toThrow();
    expect(() => params.parse({ fullMatchCommit: 'n+1' })).toThrow();
  });
});
