import { AutoregressiveDrafter, DecodeLoop, Draft, Predictions, Rng, TokenHistory } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import {
  LOOKAHEAD_DEFAULTS,
  LookaheadDrafter,
  type LookaheadFullMatchCommit,
  type LookaheadOptions,
  lookaheadMaxDraftNodes,
} from './lookahead.ts';
import { NgramPool } from './lookahead-pool.ts';
import { JacobiWindow } from './lookahead-window.ts';
import { PythonRandom } from './python-random.ts';
import { RecordingModel } from './testing/recording-model.ts';

/** Fake forward: the argmax after each node is f(token). */
function fakeForward(draft: Draft, f: (t: number) => number): Predictions {
  const p = new Predictions(draft.count, 1);
  for (let i = 0; i < draft.count; i++) p.argmax[i] = f(draft.tokens[i]);
  p.count = draft.count;
  return p;
}

function promptHistory(tokens: number[]): TokenHistory {
  const h = new TokenHistory();
  h.begin(Int32Array.from(tokens), 8);
  return h;
}

/** Copy of the window as [level][column] (level 0 column 0 = the root placeholder). */
function snapshot(w: JacobiWindow): number[][] {
  const rows: number[][] = [];
  for (let l = 0; l <= w.fill; l++) {
    const row: number[] = [];
    for (let c = l === 0 ? 1 : 0; c <= w.len0; c++) row.push(w.tokens[l * w.stride + c]);
    rows.push(row);
  }
  return rows;
}

describe('JacobiWindow', () => {
  const N = 4;
  const W = 5;
  const f = (t: number) => (t * 7 + 3) % 101;

  function filledWindow(): JacobiWindow {
    const w = new JacobiWindow(N, W);
    w.init(promptHistory([11, 12, 13, 14, 15, 16, 17, 18]), 8, new Rng(1));
    const pool = new NgramPool(101, N - 1, 7);
    for (let step = 0; step < N - 2; step++) {
      const d = new Draft(64);
      d.reset(50 + step);
      w.layout(d);
      w.update(fakeForward(d, f), d.tokens[0], pool);
    }
    expect(pool.keyCount).toBe(0); // LADE adds nothing while filling
    return w;
  }

  it('has W+N-3 level-0 tokens drawn from the prompt, then loses one column per fill step', () => {
    const w = new JacobiWindow(N, W);
    w.init(promptHistory([11, 12, 13]), 3, new Rng(7));
    expect(w.len0).toBe(W + N - 3);
    for (const t of snapshot(w)[0]) expect([11, 12, 13]).toContain(t);
    const pool = new NgramPool(101, N - 1, 7);
    const sizes: number[] = [];
    for (let step = 0; step < 4; step++) {
      const d = new Draft(64);
      d.reset(50);
      w.layout(d);
      sizes.push(d.count - 1);
      w.update(fakeForward(d, f), 50, pool);
    }
    // Fill: (W+N-3) then (W+N-4) + (W+N-3), then steady (W-1) + (N-2)·W.
    expect(sizes).toEqual([6, 5 + 6, 4 + 2 * 5, 4 + 2 * 5]);
    for (let s = 0; s < 3; s++) expect(sizes[s]).toBe(JacobiWindow.nodesAt(N, W, Math.min(s, N - 2)));
  });

  it('lays out the steady window with the attention pattern of baselines.md §2 (positions and visibility)', () => {
    const w = filledWindow();
    expect(w.steady).toBe(true);
    const d = new Draft(64);
    d.reset(99);
    w.layout(d);
    const node = (l: number, c: number) => (l === 0 && c === 0 ? 0 : w.nodes[l * w.stride + c]);
    const windowNodes: [number, number][] = [];
    for (let c = 1; c < W; c++) windowNodes.push([0, c]);
    for (let l = 1; l <= N - 2; l++) for (let c = 0; c < W; c++) windowNodes.push([l, c]);
    expect(d.count).toBe(1 + windowNodes.length);
    for (const [l, c] of windowNodes) {
      const i = node(l, c);
      expect(d.verifiable[i]).toBe(0);
      expect(d.depth[i]).toBe(l + c); // position p + l + i
      const expected = new Set<number>([0, i]);
      for (let k = 1; k <= c; k++) expected.add(node(0, k)); // level-0 columns 1..i
      for (let k = 1; k <= l; k++) expected.add(node(k, c)); // column i of levels 1..l
      const seen = new Set<number>();
      for (let j = 0; j < d.count; j++) if (d.sees(i, j)) seen.add(j);
      expect(seen).toEqual(expected);
    }
  });

  it('steady update: W n-grams go to the pool, levels move down, the top level takes the outputs', () => {
    const w = filledWindow();
    const before = snapshot(w);
    const d = new Draft(64);
    d.reset(77);
    w.layout(d);
    const pool = new NgramPool(101, N - 1, 7);
    w.update(fakeForward(d, f), 77, pool);
    const after = snapshot(w);
    const top = before[N - 2];
    expect(after[0]).toEqual(before[1].slice(1));
    for (let l = 1; l < N - 2; l++) expect(after[l]).toEqual(before[l + 1]);
    expect(after[N - 2]).toEqual(top.map(f));
    for (let c = 0; c < W; c++) {
      const key = c === 0 ? 77 : before[0][c - 1];
      const tuple = [...before.slice(1).map((row) => row[c]), f(top[c])];
      let found = false;
      for (let r = 0; r < pool.size(key); r++) {
        if (tuple.every((t, j) => pool.token(key, r, j) === t)) found = true;
      }
      expect(found, `column ${c}: tuple ${tuple} under key ${key}`).toBe(true);
    }
  });

  it('fill update: every level drops column 0 and the outputs of the top level (columns 1..) become a new level', () => {
    const w = new JacobiWindow(N, W);
    w.init(promptHistory([11, 12, 13, 14, 15, 16, 17, 18]), 8, new Rng(3));
    const pool = new NgramPool(101, N - 1, 7);
    const d = new Draft(64);
    d.reset(40);
    w.layout(d);
    const before = snapshot(w);
    w.update(fakeForward(d, f), 40, pool);
    const after = snapshot(w);
    expect(after[0]).toEqual(before[0].slice(1));
    expect(after[1]).toEqual(before[0].map(f));
    const d2 = new Draft(64);
    d2.reset(41);
    w.layout(d2);
    w.update(fakeForward(d2, f), 41, pool);
    const after2 = snapshot(w);
    expect(after2[0]).toEqual(after[0].slice(1));
    expect(after2[1]).toEqual(after[1].slice(1));
    expect(after2[2]).toEqual(after[1].slice(1).map(f));
  });
});

describe('LookaheadDrafter on a bigram mock', () => {
  const V = 97;
  const next = (t: number) => (t * 5 + 3) % V;
  const { level: N, window: W, guess: G } = LOOKAHEAD_DEFAULTS;

  function run(prompt: number[], maxNewTokens: number, options: Partial<LookaheadOptions> = {}) {
    const inner = new BigramModel({ vocabSize: V, next, maxDraftNodes: 128 });
    const model = new RecordingModel(inner);
    const drafter = new LookaheadDrafter(V, { ...LOOKAHEAD_DEFAULTS, ...options });
    const result = new DecodeLoop(model, drafter).generate(Int32Array.from(prompt), { maxNewTokens });
    const plain = new DecodeLoop(new BigramModel({ vocabSize: V, next }), new AutoregressiveDrafter()).generate(Int32Array.from(prompt), {
      maxNewTokens,
    });
    return { result, plain, steps: model.steps, drafter, inner };
  }

  it('needs (N-1)(W+G) nodes at most: 56 for the defaults', () => {
    expect(lookaheadMaxDraftNodes(5, 7, 7)).toBe(56);
    expect(lookaheadMaxDraftNodes(5, 15, 15)).toBe(120);
  });

  for (const commit of ['n-1', 'n'] as LookaheadFullMatchCommit[]) {
    it(`runs window and candidates in one forward per step and learns n-grams the prompt does not contain (fullMatchCommit ${commit})`, () => {
      // The prompt does not follow next(), so none of its n-grams is ever right.
      const prompt = [10, 20, 30, 40, 50, 60, 70, 80];
      const { result, plain, steps, drafter, inner } = run(prompt, 150, { fullMatchCommit: commit });
      expect(Array.from(result.tokens)).toEqual(Array.from(plain.tokens));
      expect(inner.evaluatedSizes.length).toBe(result.steps);
      expect(steps.length).toBe(result.steps);

      const windowTuples = new Map<number, Set<string>>(); // key -> tuples produced by window outputs so far
      let guessesSeen = 0;
      steps.forEach((step, s) => {
        const f = Math.min(s, N - 2);
        // Draft order: the window's nodes (never verifiable), then the candidates, N-1 tokens each, whose last
        // token is verifiable only with fullMatchCommit 'n'.
        const windowCount = JacobiWindow.nodesAt(N, W, f);
        expect(step.verifiable.slice(1, 1 + windowCount).every((v) => !v)).toBe(true);
        const candidateNodes = step.tokens.length - 1 - windowCount;
        expect(candidateNodes % (N - 1)).toBe(0);
        const g = candidateNodes / (N - 1);
        for (let k = 0; k < g; k++) {
          const chain = step.verifiable.slice(1 + windowCount + k * (N - 1), 1 + windowCount + (k + 1) * (N - 1));
          expect(chain).toEqual([...Array(N - 2).fill(true), commit === 'n']);
        }
        expect(g).toBeLessThanOrEqual(G);
        expect(step.tokens.length).toBe(1 + windowCount + g * (N - 1));
        // Every candidate was produced by the window of an earlier forward under the same key.
        const first = 1 + windowCount;
        for (let k = 0; k < g; k++) {
          const tuple = step.tokens.slice(first + k * (N - 1), first + (k + 1) * (N - 1));
          expect(windowTuples.get(step.tokens[0])?.has(tuple.join(',')), `step ${s} candidate ${tuple}`).toBe(true);
          guessesSeen++;
        }
        if (f === N - 2) {
          // Steady window in draft order: level 0 columns 1..W-1, then levels 1..N-2 with W columns each.
          const at = (l: number, c: number) => (l === 0 ? (c === 0 ? 0 : c) : W - 1 + (l - 1) * W + c + 1);
          for (let c = 0; c < W; c++) {
            const key = step.tokens[at(0, c)];
            const tuple: number[] = [];
            for (let l = 1; l <= N - 2; l++) tuple.push(step.tokens[at(l, c)]);
            tuple.push(step.argmax[at(N - 2, c)]);
            if (!windowTuples.has(key)) windowTuples.set(key, new Set());
            windowTuples.get(key)?.add(tuple.join(','));
          }
        }
      });
      expect(guessesSeen).toBeGreaterThan(0);
      expect(drafter.pool.keyCount).toBeGreaterThan(0);
      // With a bigram model the window converges to next() chains, so whole n-grams match: a full match
      // commits N tokens, or N-1 as LADE's code (the bonus is then the chain's last token).
      expect(Math.max(...result.acceptLengths)).toBe(commit === 'n' ? N : N - 1);
      expect(result.meanAcceptedTokens).toBeGreaterThan(2);
    });
  }

  it("'n-1' commits one token less on a full match than 'n', on the same draft, and stays greedy", () => {
    const prompt = [10, 20, 30, 40, 50, 60, 70, 80];
    const a = run(prompt, 150, { fullMatchCommit: 'n-1' });
    const b = run(prompt, 150, { fullMatchCommit: 'n' });
    expect(Array.from(a.result.tokens)).toEqual(Array.from(a.plain.tokens));
    expect(Array.from(b.result.tokens)).toEqual(Array.from(b.plain.tokens));
    // The first step with a full match: same draft in both (same window, same pool so far), N vs N-1 committed.
    const firstFull = b.result.acceptLengths.indexOf(N);
    expect(firstFull).toBeGreaterThan(0);
    expect(a.steps[firstFull].tokens).toEqual(b.steps[firstFull].tokens);
    expect(a.result.acceptLengths.slice(0, firstFull)).toEqual(b.result.acceptLengths.slice(0, firstFull));
    expect(a.result.acceptLengths[firstFull]).toBe(N - 1);
    expect(a.result.steps).toBeGreaterThan(b.result.steps);
  });

  it("windowSeed draws the window start as Spec-Bench's random.seed(10) + random.choice(prompt)", () => {
    const prompt = [1, 403, 9, 17, 22, 403, 5, 100, 33, 9, 8, 7, 1];
    const drafter = new LookaheadDrafter(512, { ...LOOKAHEAD_DEFAULTS, windowSeed: 10 });
    const h = new TokenHistory();
    h.begin(Int32Array.from(prompt), 8);
    drafter.beginRequest(h);
    // CPython 3.11: random.seed(10); [random.choice(prompt) for _ in range(7 + 5 - 3)]
    expect(snapshot(drafter.window)[0]).toEqual([9, 1, 5, 100, 9, 1, 17, 100, 100]);
    // Re-seeded per request: the same start again.
    drafter.beginRequest(h);
    expect(snapshot(drafter.window)[0]).toEqual([9, 1, 5, 100, 9, 1, 17, 100, 100]);
    const r = new PythonRandom();
    r.seed(3);
    const other = new LookaheadDrafter(512, { ...LOOKAHEAD_DEFAULTS, windowSeed: 3 });
    other.beginRequest(h);
    expect(snapshot(other.window)[0]).toEqual(Array.from({ length: 9 }, () => prompt[r.randbelow(prompt.length)]));
  });

  it('poolSize -1 keeps every n-gram of a key and verifies the G most recently added; output stays greedy', () => {
    const prompt = [10, 20, 30, 40, 50, 60, 70, 80];
    const u = run(prompt, 150, { poolSize: -1, guess: 2 });
    expect(Array.from(u.result.tokens)).toEqual(Array.from(u.plain.tokens));
    expect(u.drafter.pool.capacity).toBe(-1);
    let most = 0;
    for (let key = 0; key < V; key++) most = Math.max(most, u.drafter.pool.size(key));
    expect(most).toBeGreaterThan(2);
    for (const step of u.steps) expect(step.tokens.length).toBeLessThanOrEqual(lookaheadMaxDraftNodes(N, W, 2));

    // Which n-grams: the key's G most recently added, oldest of them first.
    const drafter = new LookaheadDrafter(V, { ...LOOKAHEAD_DEFAULTS, poolSize: -1, guess: 2 });
    drafter.beginRequest(promptHistory(prompt));
    drafter.window.fill = N - 2; // steady, so that candidates are drafted
    drafter.window.len0 = W - 1;
    for (let t = 1; t <= 4; t++) drafter.pool.insert(5, [t, t, t, t]);
    drafter.pool.insert(5, [1, 1, 1, 1]); // present: changes nothing
    const draft = new Draft(lookaheadMaxDraftNodes(N, W, 2));
    draft.reset(5);
    drafter.propose(promptHistory(prompt), draft);
    const windowCount = JacobiWindow.nodesAt(N, W, N - 2);
    expect(Array.from(draft.tokens.subarray(1 + windowCount, draft.count))).toEqual([3, 3, 3, 3, 4, 4, 4, 4]);
  });

  it('is reproducible: same seed, same drafts', () => {
    const a = run([3, 1, 4, 1, 5, 9, 2, 6], 80);
    const b = run([3, 1, 4, 1, 5, 9, 2, 6], 80);
    expect(a.steps).toEqual(b.steps);
  });
});
