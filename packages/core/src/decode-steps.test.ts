import { describe, expect, it } from 'vitest';
import { AutoregressiveDrafter } from './autoregressive.ts';
import { DecodeLoop, type StepView } from './decode.ts';
import type { Draft } from './draft.ts';
import type { Drafter } from './drafter.ts';
import type { TokenHistory } from './history.ts';
import { BigramModel } from './testing/bigram-model.ts';

const V = 50;
const next = (t: number) => (t * 7 + 3) % V;

/**
 * Drafts a chain of `length` tokens whose first `right` follow the bigram rule and the rest do not, and says
 * which of two sources drafted (alternating per step), as a drafter combining sources would.
 */
class Scripted implements Drafter {
  readonly name = 'scripted';
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  lastDraftSource: string | undefined;
  private calls = 0;
  constructor(
    readonly maxDraftNodes: number,
    private readonly right: (step: number) => number,
  ) {}
  beginRequest(): void {
    this.calls = 0;
  }
  propose(_h: TokenHistory, draft: Draft): void {
    const good = this.right(this.calls);
    this.lastDraftSource = this.calls % 2 === 0 ? 'even' : 'odd';
    this.calls++;
    let parent = 0;
    for (let i = 1; i < this.maxDraftNodes; i++) {
      const want = next(draft.tokens[parent]);
      parent = draft.add(i <= good ? want : (want + 1) % V, parent);
    }
  }
  observe(): void {}
  endRequest(): void {}
}

describe('DecodeLoop step records', () => {
  it("acceptedPerStep is the verifier's accepted drafts per step (bonus excluded), one entry per step", () => {
    const model = new BigramModel({ vocabSize: V, next });
    const pattern = [3, 0, 2, 1, 3, 3, 0];
    const r = new DecodeLoop(model, new Scripted(4, (s) => pattern[s % pattern.length])).generate(Int32Array.from([5]), {
      maxNewTokens: 14,
    });
    expect(r.acceptedPerStep.length).toBe(r.steps);
    // Every step but the last commits its accepted drafts plus the bonus.
    for (let s = 0; s < r.steps - 1; s++) expect(r.acceptedPerStep[s]).toBe(r.acceptLengths[s] - 1);
    expect(Array.from(r.acceptedPerStep)).toEqual(pattern.slice(0, r.steps));
    // The last step: 4+1+3+2 = 10 committed before; 4 accepted tokens allowed but the limit cuts at 14.
    expect(r.acceptLengths[r.steps - 1]).toBeLessThanOrEqual(r.acceptedPerStep[r.steps - 1] + 1);
  });

  it('counts lastDraftSource per request and is absent for drafters that do not set it', () => {
    const model = new BigramModel({ vocabSize: V, next });
    const loop = new DecodeLoop(model, new Scripted(3, () => 0));
    const r = loop.generate(Int32Array.from([5]), { maxNewTokens: 5 });
    expect(r.draftSources).toEqual({ even: 3, odd: 2 });
    // Per request: a second request counts afresh.
    expect(loop.generate(Int32Array.from([7]), { maxNewTokens: 1 }).draftSources).toEqual({ even: 1 });
    const plain = new DecodeLoop(model, new AutoregressiveDrafter()).generate(Int32Array.from([5]), { maxNewTokens: 5 });
    expect(plain.draftSources).toBeUndefined();
  });

  it('onStep sees every step: accepted path tokens plus the bonus rebuild the output', () => {
    const model = new BigramModel({ vocabSize: V, next });
    const pattern = [2, 0, 3, 1];
    const seen: { tokens: number[]; committed: number; source: string | undefined; index: number }[] = [];
    const onStep = (v: StepView) => {
      const tokens: number[] = [];
      for (let j = 1; j < v.acceptance.length; j++) tokens.push(v.draft.tokens[v.acceptance.path[j]]);
      tokens.push(v.acceptance.bonusToken);
      // The root's prediction is the first path token (or the bonus).
      expect(v.predictions.argmax[0]).toBe(tokens[0]);
      seen.push({ tokens, committed: v.committed, source: v.source, index: v.index });
    };
    const r = new DecodeLoop(model, new Scripted(4, (s) => pattern[s % 4])).generate(Int32Array.from([9]), { maxNewTokens: 12, onStep });
    expect(seen.map((s) => s.index)).toEqual([...Array(r.steps).keys()]);
    expect(seen.flatMap((s) => s.tokens.slice(0, s.committed))).toEqual(Array.from(r.tokens));
    expect(seen.map((s) => s.source)).toEqual(seen.map((_, i) => (i % 2 === 0 ? 'even' : 'odd')));
  });
});
