import { type Acceptance, DecodeLoop, Draft, type Drafter, Predictions, type RequestLimits, TokenHistory } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { TreeTemplate } from '@trbench/token-recycling';
import { describe, expect, it } from 'vitest';
import { SAM_TR_TREE, SamTrDrafter } from './sam-tr.ts';
import { StaticCorpus } from './static-corpus.ts';
import { AUTHORS_TR_TREE, ReferenceSam, ReferenceSamTr } from './testing/reference.ts';

/** Wraps a drafter and checks every draft against the authors' transcription, step by step. */
class Replayed implements Drafter {
  readonly name: string;
  readonly maxDraftNodes: number;
  readonly topK: number;
  readonly wantsPromptPredictions: boolean;
  readonly observesStopInDrafts = true;
  readonly params = {};
  readonly kinds: Record<string, number> = {};
  constructor(
    readonly inner: SamTrDrafter,
    readonly ref: ReferenceSamTr,
  ) {
    this.name = inner.name;
    this.maxDraftNodes = inner.maxDraftNodes;
    this.topK = inner.topK;
    this.wantsPromptPredictions = inner.wantsPromptPredictions;
  }
  beginRequest(h: TokenHistory, p: Predictions | null, s?: unknown, l?: RequestLimits): void {
    this.inner.beginRequest(h, p, null, l);
    const prompt = Array.from(h.view());
    this.ref.reset();
    const fed = prompt.slice(0, -1);
    const rows = fed.map((_, i) => Array.from((p as Predictions).topIds.subarray(i * 8, i * 8 + 8)));
    this.ref.update(fed, fed, rows);
    void s;
  }
  propose(h: TokenHistory, d: Draft): void {
    this.inner.propose(h, d);
    const want = this.ref.lookup(d.tokens[0]);
    const label = { dynamic: 'sam-dynamic', static: 'sam-static', tree: 'tr-tree' }[want.type];
    expect(this.inner.lastDraftSource).toBe(label);
    expect(Array.from(d.tokens.subarray(0, d.count))).toEqual(want.tokens);
    this.kinds[label] = (this.kinds[label] ?? 0) + 1;
  }
  observe(d: Draft, p: Predictions, a: Acceptance, h: TokenHistory): void {
    this.inner.observe(d, p, a, h);
    const accepted = Array.from(a.path.subarray(0, a.length)).map((i) => d.tokens[i]);
    const fed = Array.from(d.tokens.subarray(0, d.count));
    this.ref.update(
      accepted,
      fed,
      fed.map((_, i) => Array.from(p.topIds.subarray(i * p.k, i * p.k + 8))),
    );
  }
  endRequest(h: TokenHistory): void {
    this.inner.endRequest();
    void h;
  }
}

/** A bigram law with a long cycle, a few branch points and an absorbing corner, so every source drafts. */
const next = (t: number) => (t % 7 === 3 ? (t * 5 + 1) % 97 : (t * 31 + 7) % 97);

function corpusDocs(): number[][] {
  const docs: number[][] = [];
  for (let s = 0; s < 6; s++) {
    const d = [s * 11 + 5];
    for (let i = 0; i < 60; i++) d.push(next(d[d.length - 1]));
    docs.push(d);
  }
  return docs;
}

describe('SAM-Decoding[T] drafter', () => {
  it("the 61-node tree numbers its nodes exactly as the authors' adjacency list", () => {
    const t = new TreeTemplate('sam', SAM_TR_TREE);
    expect(t.nodes).toBe(61);
    expect(t.layerSizes()).toEqual([7, 20, 21, 8, 4]);
    AUTHORS_TR_TREE.forEach((children, node) =>
      children.forEach((child, rank) => {
        expect(t.parent[child]).toBe(node);
        expect(t.rank[child]).toBe(rank);
      }),
    );
  });

  for (const withCorpus of [false, true]) {
    it(`drafts equal the authors' transcription step by step (${withCorpus ? 'static corpus' : 'empty static automaton'})`, () => {
      const V = 97;
      const docs = withCorpus ? corpusDocs() : [];
      const corpus = withCorpus ? new StaticCorpus(docs, { vocabSize: V, eos: 2, name: 'test' }) : StaticCorpus.empty();
      const stat = new ReferenceSam();
      if (withCorpus) {
        for (const d of docs) stat.addTokens(d[d.length - 1] === 2 ? d : [...d, 2]);
        for (let v = 0; v < V; v++) stat.addTokens(v === 2 ? [v] : [v, 2]);
      }
      const model = new BigramModel({ vocabSize: V, next, topK: 8, maxDraftNodes: 61, stopTokens: [96] });
      const drafter = new Replayed(new SamTrDrafter({ vocabSize: V, corpus }), new ReferenceSamTr(stat, AUTHORS_TR_TREE));
      const loop = new DecodeLoop(model, drafter);
      let tokens = 0;
      let steps = 0;
      for (const start of [4, 10, 4, 33, 50]) {
        const prompt = [1, start];
        for (let i = 0; i < 12; i++) prompt.push((prompt[prompt.length - 1] * 3 + 1) % V);
        const r = loop.generate(Int32Array.from(prompt), { maxNewTokens: 150 });
        const plain = new DecodeLoop(
          model,
          new (class {
            readonly name = 'ar';
            readonly maxDraftNodes = 1;
            readonly topK = 1;
            readonly wantsPromptPredictions = false;
            readonly params = {};
            beginRequest() {}
            propose() {}
            observe() {}
            endRequest() {}
          })(),
        ).generate(Int32Array.from(prompt), { maxNewTokens: 150 });
        expect(Array.from(r.tokens)).toEqual(Array.from(plain.tokens));
        tokens += r.tokens.length;
        steps += r.steps;
      }
      expect(drafter.kinds['sam-dynamic']).toBeGreaterThan(0);
      expect(drafter.kinds['tr-tree']).toBeGreaterThan(0);
      if (withCorpus) expect(drafter.kinds['sam-static']).toBeGreaterThan(0);
      expect(tokens / steps).toBeGreaterThan(3);
      const total = drafter.inner.total.summary();
      expect(Object.values(total).reduce((s, x) => s + x.steps, 0)).toBe(steps);
      expect(Object.values(total).reduce((s, x) => s + x.tokens, 0)).toBe(tokens);
    });
  }

  it('pads are never verifiable: chain padding and the children of a token without a row', () => {
    const V = 16;
    const limits = { maxNewTokens: 10, contextSize: 256 };
    const begin = (d: SamTrDrafter, prompt: number[]) => {
      const h = new TokenHistory();
      h.begin(prompt, 10);
      const p = new Predictions(prompt.length, 8);
      p.count = prompt.length - 1;
      for (let i = 0; i < p.topIds.length; i++) p.topIds[i] = (i % 8) + 1; // rows of real tokens 1..8
      d.beginRequest(h, p, null, limits);
      return h;
    };
    // A chain: "5" matches (threshold 1), 3 tokens follow its first occurrence, 36 pads complete N = 40.
    const chain = new SamTrDrafter({ vocabSize: V, corpus: StaticCorpus.empty(), lenThreshold: 1 });
    const h1 = begin(chain, [5, 6, 5, 6, 5]);
    const d1 = new Draft(61);
    d1.reset(5);
    chain.propose(h1, d1);
    expect(chain.lastDraftSource).toBe('sam-dynamic');
    expect(d1.count).toBe(40);
    expect(Array.from(d1.tokens.subarray(0, 5))).toEqual([5, 6, 5, 6, 0]);
    expect(Array.from(d1.verifiable.subarray(1, 40))).toEqual([1, 1, 1, ...new Array(36).fill(0)]);
    // A tree from a root without a row: all 60 children are pads (token 0, as the authors leave them).
    const tree = new SamTrDrafter({ vocabSize: V, corpus: StaticCorpus.empty() });
    const h2 = begin(tree, [9, 7]);
    const d2 = new Draft(61);
    d2.reset(7);
    tree.propose(h2, d2);
    expect(tree.lastDraftSource).toBe('tr-tree');
    expect(d2.count).toBe(61);
    expect(Array.from(d2.verifiable.subarray(1, 61)).every((v) => v === 0)).toBe(true);
    // Root 9 has a row (seeded from the prompt): its 7 children are real drafts, the rest follow rows 1..8.
    d2.reset(9);
    tree.propose(h2, d2);
    expect(Array.from(d2.tokens.subarray(1, 8))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(d2.verifiable.subarray(1, 8))).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});
