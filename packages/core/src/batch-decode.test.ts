import { describe, expect, it } from 'vitest';
import { AutoregressiveDrafter } from './autoregressive.ts';
import { BatchBudgetAllocator, forwardCost } from './batch-budget.ts';
import { BatchDecodeLoop, type BatchRequest } from './batch-decode.ts';
import { DecodeLoop } from './decode.ts';
import { Draft } from './draft.ts';
import type { Drafter } from './drafter.ts';
import type { TokenHistory } from './history.ts';
import { BigramModel } from './testing/bigram-model.ts';
import { SequentialBatchModel } from './testing/sequential-batch-model.ts';

const V = 50;
const next = (t: number) => (t * 7 + 3) % V;

/**
 * Drafts a small tree from the history: the true continuation on some branches and wrong tokens on others,
 * depending on the history's length, so acceptance varies from step to step. Records the order of calls.
 */
class MixedDrafter implements Drafter {
  readonly name = 'mixed';
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  readonly maxDraftNodes = 7;
  readonly calls: string[] = [];
  constructor(readonly label = '') {}
  beginRequest(h: TokenHistory): void {
    this.calls.push(`begin${this.label}:${h.promptLength}`);
  }
  propose(h: TokenHistory, draft: Draft): void {
    const good = h.length % 3 !== 0;
    let p = 0;
    for (let i = 0; i < 3; i++) p = draft.add(good || i === 0 ? next(draft.tokens[p]) : (draft.tokens[p] + 1) % V, p);
    draft.add((next(draft.tokens[0]) + 2) % V, 0);
    if (h.length % 2 === 0) draft.add(next(draft.tokens[1]), 1);
  }
  observe(_d: Draft, _p: unknown, _a: unknown, h: TokenHistory): void {
    this.calls.push(`observe${this.label}:${h.length}`);
  }
  endRequest(h: TokenHistory): void {
    this.calls.push(`end${this.label}:${h.length}`);
  }
}

const requests: BatchRequest[] = [
  { prompt: Int32Array.of(1, 2), maxNewTokens: 9 },
  { prompt: Int32Array.of(7), maxNewTokens: 23 },
  { prompt: Int32Array.of(3, 4, 5), maxNewTokens: 4 },
  { prompt: Int32Array.of(11, 12), maxNewTokens: 17 },
  { prompt: Int32Array.of(9), maxNewTokens: 1 },
  { prompt: Int32Array.of(20, 21), maxNewTokens: 12 },
];

const batchModel = (B: number, stopTokens: number[] = []) =>
  new SequentialBatchModel(Array.from({ length: B }, () => new BigramModel({ vocabSize: V, next, stopTokens })));

describe('BatchDecodeLoop', () => {
  it('every request gets the tokens, steps and accept lengths it gets alone, at every batch size', () => {
    for (const stops of [[], [next(next(7))]]) {
      const alone = requests.map((r) =>
        new DecodeLoop(new BigramModel({ vocabSize: V, next, stopTokens: stops }), new MixedDrafter()).generate(r.prompt, {
          maxNewTokens: r.maxNewTokens,
        }),
      );
      for (const B of [1, 2, 4, 8]) {
        const model = batchModel(B, stops);
        const drafters = Array.from({ length: B }, () => new MixedDrafter());
        const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(requests);
        expect(run.results.length).toBe(requests.length);
        run.results.forEach((r, i) => {
          expect(Array.from(r.tokens)).toEqual(Array.from(alone[i].tokens));
          expect(Array.from(r.acceptLengths)).toEqual(Array.from(alone[i].acceptLengths));
          expect(r.stopReason).toBe(alone[i].stopReason);
          expect(Array.from(r.trace.ids)).toEqual(Array.from(alone[i].trace.ids));
          expect(r.request).toBe(i);
          expect(r.batch).toBe(B);
        });
        expect(run.tokens).toBe(alone.reduce((a, r) => a + r.tokens.length, 0));
        // Each forward holds at most B requests; their number is B while the queue is not empty.
        expect(Math.max(...model.forwards.map((f) => f.filter((n) => n > 0).length))).toBe(Math.min(B, requests.length));
        expect(run.forwards).toBe(model.forwards.length);
        const nodes = model.forwards.flat().reduce((a, b) => a + b, 0);
        expect(run.meanNodesPerForward).toBeCloseTo(nodes / run.forwards, 10);
      }
    }
  });

  it('a round the backend cannot hold in one forward is split by slots, tokens unchanged', () => {
    const alone = requests.map((r) =>
      new DecodeLoop(new BigramModel({ vocabSize: V, next }), new MixedDrafter()).generate(r.prompt, { maxNewTokens: r.maxNewTokens }),
    );
    const model = new SequentialBatchModel(
      Array.from({ length: 4 }, () => new BigramModel({ vocabSize: V, next })),
      12,
    );
    const drafters = Array.from({ length: 4 }, () => new MixedDrafter());
    const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(requests);
    run.results.forEach((r, i) => expect(Array.from(r.tokens)).toEqual(Array.from(alone[i].tokens)));
    expect(run.forwards).toBeGreaterThan(run.rounds);
    expect(model.forwards.length).toBe(run.forwards);
    for (const f of model.forwards) expect(f.filter((n) => n > 0).length === 1 || f.reduce((a, b) => a + b, 0) <= 12).toBe(true);
  });

  it('continuous batching: a finished request hands its slot to the next one in the list', () => {
    const model = batchModel(2);
    const drafters = [new AutoregressiveDrafter(), new AutoregressiveDrafter()];
    const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(requests);
    // Plain decoding: one token per request per forward. Slot 0 runs request 0 (9 tokens), slot 1 request 1 (23).
    // Slot 0: requests 0, 2, 3 (forwards 1-30); slot 1: 1, 4, 5 (1-36). One-token prompts need no prefill.
    expect(run.results.map((r) => r.slot)).toEqual([0, 1, 0, 0, 1, 1]);
    expect(model.prefills.map(([s]) => s)).toEqual([0, 0, 0, 1]);
    expect(run.forwards).toBe(36);
    expect(model.forwards.slice(30).every((f) => f[0] === 0 && f[1] === 1)).toBe(true);
    expect(run.meanNodesPerForward).toBeCloseTo(run.tokens / run.forwards, 10);
  });

  it('a shared drafter proposes for every slot first, then is updated in slot order', () => {
    const shared = new MixedDrafter();
    const model = batchModel(3);
    new BatchDecodeLoop(model, { sharing: 'shared', drafters: [shared, shared, shared] }).run(requests.slice(0, 3));
    const first = requests.slice(0, 3).map((r) => {
      const alone = new DecodeLoop(new BigramModel({ vocabSize: V, next }), new MixedDrafter());
      return r.prompt.length + alone.generate(r.prompt, { maxNewTokens: r.maxNewTokens }).acceptLengths[0];
    });
    expect(shared.calls.slice(0, 6)).toEqual(['begin:2', 'begin:1', 'begin:3', ...first.map((n) => `observe:${n}`)]);
  });

  it('refuses one instance for a per-request method and a drafter too large for the model', () => {
    const d = new MixedDrafter();
    expect(() => new BatchDecodeLoop(batchModel(2), { sharing: 'per-request', drafters: [d, d] })).toThrow(/own instance/);
    expect(() => new BatchDecodeLoop(batchModel(2), { sharing: 'per-request', drafters: [d] })).toThrow(/2 slots/);
    const small = new SequentialBatchModel([new BigramModel({ vocabSize: V, next, maxDraftNodes: 4 })]);
    expect(() => new BatchDecodeLoop(small, { sharing: 'per-request', drafters: [d] })).toThrow(/opened for 4/);
  });

  it('budgets truncate drafts but never change the tokens', () => {
    const alone = requests.map((r) =>
      new DecodeLoop(new BigramModel({ vocabSize: V, next }), new AutoregressiveDrafter()).generate(r.prompt, {
        maxNewTokens: r.maxNewTokens,
      }),
    );
    const curveCheap = { sizes: [1, 64], ms: [1, 1.01], contextLength: 0 };
    const curveDear = { sizes: [1, 2, 64], ms: [1, 10, 100], contextLength: 0 };
    for (const budget of [
      { policy: 'per-request' as const, maxNodesPerRequest: 2 },
      { policy: 'shared' as const, curve: null, maxNodesPerRequest: 3 },
      { policy: 'shared' as const, curve: curveCheap },
      { policy: 'shared' as const, curve: curveDear },
    ]) {
      const model = batchModel(4);
      const drafters = Array.from({ length: 4 }, () => new MixedDrafter());
      const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(requests, { budget });
      run.results.forEach((r, i) => expect(Array.from(r.tokens)).toEqual(Array.from(alone[i].tokens)));
      const largest = Math.max(...model.forwards.flat());
      if (budget.maxNodesPerRequest) expect(largest).toBeLessThanOrEqual(budget.maxNodesPerRequest);
      // Cheap extra nodes: every draft pays. Dear ones: nothing pays, plain decoding (roots only).
      if (budget.curve === curveCheap) expect(run.droppedDrafts).toBe(0);
      if (budget.curve === curveDear) {
        expect(largest).toBe(1);
        expect(run.meanNodesPerForward).toBeCloseTo(run.tokens / run.forwards, 10);
      }
    }
  });
});

describe('BatchBudgetAllocator', () => {
  const tree = (nodes: number) => {
    const d = new Draft(16);
    d.reset(1);
    for (let i = 1; i < nodes; i++) d.add(i, i - 1);
    return d;
  };

  it('keeps the drafts with the best expected accepted drafts per node while they pay', () => {
    // t(N) = 9 + N: 3 plain tokens in 12 ms; slot 0 adds 3 tokens for 3 ms (pays), slot 2 one token for 3 ms (does not).
    const a = new BatchBudgetAllocator({ policy: 'shared', curve: { sizes: [1, 100], ms: [10, 109], contextLength: 0 } }, 3);
    for (let s = 0; s < 3; s++) a.beginSlot(s);
    // Teach: slot 0 accepts 3 of 3 drafts, slot 1 none, slot 2 one.
    for (let i = 0; i < 40; i++) {
      a.observe(0, 4, 3);
      a.observe(1, 4, 0);
      a.observe(2, 4, 1);
    }
    const drafts = [tree(4), tree(4), tree(4)];
    a.apply(drafts);
    expect(drafts.map((d) => d.count)).toEqual([4, 1, 1]);
    expect(a.lastNodes).toBe(6);
    expect(a.lastDropped).toBe(2);
  });

  it('extends the curve past its largest size along its last segment', () => {
    const curve = { sizes: [1, 4, 8], ms: [1, 2, 4], contextLength: 0 };
    expect(forwardCost(curve, 6)).toBeCloseTo(3, 10);
    expect(forwardCost(curve, 16)).toBeCloseTo(8, 10);
    expect(forwardCost(curve, 0)).toBe(1);
  });

  it('needs a curve or a cap for the shared policy', () => {
    expect(() => new BatchBudgetAllocator({ policy: 'shared', curve: null }, 2)).toThrow(/cost curve/);
    expect(() => new BatchBudgetAllocator({ policy: 'per-request', maxNodesPerRequest: 0 }, 2)).toThrow(/maxNodesPerRequest/);
  });
});

describe('Draft.truncateToCount', () => {
  it('keeps a prefix of the nodes with consistent links and depth', () => {
    const d = new Draft(8);
    d.reset(0);
    d.add(1, 0);
    d.add(2, 0);
    d.add(3, 1);
    d.add(4, 3);
    d.truncateToCount(3);
    expect(d.count).toBe(3);
    expect(d.maxDepth).toBe(1);
    expect(d.childCount(0)).toBe(2);
    expect(d.childCount(1)).toBe(0);
    d.add(5, 1);
    expect(d.childCount(1)).toBe(1);
    expect(d.maxDepth).toBe(2);
  });
});
