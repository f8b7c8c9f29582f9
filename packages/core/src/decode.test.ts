import { describe, expect, it } from 'vitest';
import { AutoregressiveDrafter } from './autoregressive.ts';
import { DecodeLoop } from './decode.ts';
import type { Draft } from './draft.ts';
import type { Drafter } from './drafter.ts';
import type { TokenHistory } from './history.ts';
import { InterruptedError } from './interrupt.ts';
import { BigramModel } from './testing/bigram-model.ts';

/** Drafts the true bigram chain of a fixed length: every draft is accepted. */
class OracleChain implements Drafter {
  readonly name = 'oracle';
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  observed = 0;
  ended = 0;
  constructor(
    readonly maxDraftNodes: number,
    private readonly next: (t: number) => number,
  ) {}
  beginRequest(): void {}
  propose(_h: TokenHistory, draft: Draft): void {
    let parent = 0;
    for (let i = 1; i < this.maxDraftNodes; i++) parent = draft.add(this.next(draft.tokens[parent]), parent);
  }
  observe(): void {
    this.observed++;
  }
  endRequest(): void {
    this.ended++;
  }
}

const V = 50;
const next = (t: number) => (t * 7 + 3) % V;
const greedy = (start: number, n: number) => {
  const out: number[] = [];
  for (let t = start, i = 0; i < n; i++) out.push((t = next(t)));
  return out;
};

describe('DecodeLoop', () => {
  it('plain decoding commits one token per step and stops exactly at max new tokens', () => {
    const model = new BigramModel({ vocabSize: V, next });
    const r = new DecodeLoop(model, new AutoregressiveDrafter()).generate(Int32Array.from([4, 5]), { maxNewTokens: 9 });
    expect(Array.from(r.tokens)).toEqual(greedy(5, 9));
    expect(r.steps).toBe(9);
    expect(r.meanAcceptedTokens).toBe(1);
    expect(r.stopReason).toBe('length');
    expect(model.committedLength).toBe(1 + 9); // prompt[:-1] plus one root per step
  });

  it('a perfect drafter commits a whole chain per step, truncated at the limit; a stop inside the drafts skips the last observe', () => {
    const model = new BigramModel({ vocabSize: V, next });
    const drafter = new OracleChain(4, next);
    const r = new DecodeLoop(model, drafter).generate(Int32Array.from([5]), { maxNewTokens: 10 });
    expect(Array.from(r.tokens)).toEqual(greedy(5, 10));
    expect(Array.from(r.acceptLengths)).toEqual([4, 4, 2]);
    expect(r.meanAcceptedTokens).toBeCloseTo(10 / 3, 10);
    expect(drafter.observed).toBe(2);
    expect(drafter.ended).toBe(1);
  });

  it('observes the final step when the request ends at the bonus token (length or end of generation)', () => {
    const atLimit = new OracleChain(4, next);
    const r = new DecodeLoop(new BigramModel({ vocabSize: V, next }), atLimit).generate(Int32Array.from([5]), { maxNewTokens: 8 });
    expect(Array.from(r.acceptLengths)).toEqual([4, 4]);
    expect(atLimit.observed).toBe(2);

    // Chains of 4 commit tokens 1-4, 5-8, ...: a stop at token 8 is the second step's bonus, at token 7 a draft.
    const step = (t: number) => (t + 1) % V;
    const seq = [6, 7, 8, 9, 10, 11, 12, 13];
    const observedWithStopAt = (index: number) => {
      const drafter = new OracleChain(4, step);
      const model = new BigramModel({ vocabSize: V, next: step, stopTokens: [seq[index]] });
      const out = new DecodeLoop(model, drafter).generate(Int32Array.from([5]), { maxNewTokens: 100 });
      expect(out.stopReason).toBe('eos');
      expect(out.tokens.length).toBe(index + 1);
      return drafter.observed;
    };
    expect(observedWithStopAt(7)).toBe(2);
    expect(observedWithStopAt(6)).toBe(1);
  });

  it('passes the request limits to beginRequest, and observes a stop inside the drafts when the drafter asks to', () => {
    const step = (t: number) => (t + 1) % V;
    class Asking implements Drafter {
      readonly name = 'asking';
      readonly topK = 1;
      readonly wantsPromptPredictions = false;
      readonly observesStopInDrafts = true;
      readonly params = {};
      readonly maxDraftNodes = 4;
      limits: unknown;
      accepted: number[] = [];
      private readonly chain = new OracleChain(4, step);
      beginRequest(...args: Parameters<Drafter['beginRequest']>): void {
        this.limits = args[3];
      }
      propose(h: TokenHistory, draft: Draft): void {
        this.chain.propose(h, draft);
      }
      observe(...args: Parameters<Drafter['observe']>): void {
        this.accepted.push(args[2].length - 1);
      }
      endRequest(): void {}
    }
    const drafter = new Asking();
    const model = new BigramModel({ vocabSize: V, next: step, stopTokens: [12], contextSize: 64 });
    const out = new DecodeLoop(model, drafter).generate(Int32Array.from([5]), { maxNewTokens: 100 });
    expect(Array.from(out.tokens)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(drafter.limits).toEqual({ maxNewTokens: 100, contextSize: 64 });
    // The stop (12) is the second step's third draft: observed anyway, with the whole accepted chain.
    expect(drafter.accepted).toEqual([3, 3]);
  });

  it('stops at an end-of-generation token and includes it', () => {
    const seq = greedy(5, 20);
    const stop = seq[6];
    const model = new BigramModel({ vocabSize: V, next, stopTokens: [stop] });
    const r = new DecodeLoop(model, new OracleChain(5, next)).generate(Int32Array.from([5]), { maxNewTokens: 100 });
    expect(r.stopReason).toBe('eos');
    expect(Array.from(r.tokens)).toEqual(seq.slice(0, seq.indexOf(stop) + 1));
  });

  it('stops when the context is full and trims drafts that would overflow it', () => {
    const model = new BigramModel({ vocabSize: V, next, contextSize: 12 });
    const r = new DecodeLoop(model, new OracleChain(6, next)).generate(Int32Array.from([1, 2, 3]), { maxNewTokens: 100 });
    expect(r.stopReason).toBe('context');
    expect(model.committedLength).toBe(12);
    expect(Array.from(r.tokens)).toEqual(greedy(3, r.tokens.length));
  });

  it('rejects bad requests with clear errors', () => {
    const model = new BigramModel({ vocabSize: V, next, contextSize: 4 });
    const loop = new DecodeLoop(model, new AutoregressiveDrafter());
    expect(() => loop.generate(Int32Array.from([1]), { maxNewTokens: 0 })).toThrow(/max new tokens/);
    expect(() => loop.generate(Int32Array.from([1, 2, 3, 4, 5]), { maxNewTokens: 1 })).toThrow(
      /prompt has 5 tokens but the context holds 4/,
    );
    expect(() => new DecodeLoop(new BigramModel({ vocabSize: V, next, maxDraftNodes: 2 }), new OracleChain(4, next))).toThrow(
      /proposes up to 4/,
    );
  });

  it('generateAsync gives what generate gives (tokens, steps, accept lengths, drafter calls), yielding or not', async () => {
    for (const yieldEveryMs of [0, 50]) {
      const model = new BigramModel({ vocabSize: V, next });
      const syncDrafter = new OracleChain(3, next);
      const asyncDrafter = new OracleChain(3, next);
      const a = new DecodeLoop(model, syncDrafter).generate(Int32Array.from([5]), { maxNewTokens: 20 });
      const b = await new DecodeLoop(model, asyncDrafter).generateAsync(Int32Array.from([5]), { maxNewTokens: 20, yieldEveryMs });
      expect(Array.from(b.tokens)).toEqual(Array.from(a.tokens));
      expect(Array.from(b.acceptLengths)).toEqual(Array.from(a.acceptLengths));
      expect(b.stopReason).toBe(a.stopReason);
      expect([asyncDrafter.observed, asyncDrafter.ended]).toEqual([syncDrafter.observed, syncDrafter.ended]);
    }
  });

  it('generateAsync lets a timer abort it at the next step with InterruptedError; the loop is reusable after', async () => {
    const model = new BigramModel({ vocabSize: V, next, contextSize: 100_000 });
    const loop = new DecodeLoop(model, new AutoregressiveDrafter());
    const controller = new AbortController();
    let stepsBeforeAbort = -1;
    setTimeout(() => {
      stepsBeforeAbort = model.committedLength;
      controller.abort(new InterruptedError('SIGINT'));
    }, 20);
    const err = await loop
      .generateAsync(Int32Array.from([5]), { maxNewTokens: 90_000, signal: controller.signal, yieldEveryMs: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).signal).toBe('SIGINT');
    // Stopped at the step after the abort: not at the end of the request.
    expect(stepsBeforeAbort).toBeGreaterThan(0);
    expect(model.committedLength).toBeLessThanOrEqual(stepsBeforeAbort + 1);
    const again = await loop.generateAsync(Int32Array.from([5]), { maxNewTokens: 4 });
    expect(Array.from(again.tokens)).toEqual(greedy(5, 4));
    // An already aborted signal stops before any work.
    await expect(loop.generateAsync(Int32Array.from([5]), { maxNewTokens: 4, signal: controller.signal })).rejects.toBeInstanceOf(
      InterruptedError,
    );
  });
});
