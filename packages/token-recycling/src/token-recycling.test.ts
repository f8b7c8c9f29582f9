import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Acceptance, Draft, Predictions, TokenHistory } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { AdjacencyMatrix } from './matrix.ts';
import { TreeTemplate } from './template.ts';
import { TokenRecyclingDrafter } from './token-recycling.ts';

const SHA = 'a'.repeat(64);

function drafter(paths: number[][], k: number, extra: Partial<ConstructorParameters<typeof TokenRecyclingDrafter>[0]> = {}) {
  return new TokenRecyclingDrafter({ vocabSize: 20, k, template: new TreeTemplate('t', paths), modelSha256: SHA, ...extra });
}

/** Sets row `token` of the drafter's matrix. */
function setRow(d: TokenRecyclingDrafter, token: number, row: number[]) {
  d.matrix.setRow(token, Int32Array.from(row), 0);
}

describe('TokenRecyclingDrafter drafting', () => {
  it('drafts BFS over the template from a hand-built matrix', () => {
    const d = drafter([[0], [1], [0, 0], [0, 1], [1, 0], [0, 0, 0]], 2);
    setRow(d, 5, [7, 8]);
    setRow(d, 7, [9, 10]);
    setRow(d, 8, [11, 12]);
    setRow(d, 9, [13, 14]);
    const draft = new Draft(d.maxDraftNodes);
    draft.reset(5);
    d.propose(new TokenHistory(), draft);
    expect(Array.from(draft.tokens.subarray(0, draft.count))).toEqual([5, 7, 8, 9, 10, 11, 13]);
    expect(Array.from(draft.parent.subarray(0, draft.count))).toEqual([-1, 0, 0, 1, 1, 2, 3]);
  });

  it('an unfilled row drafts token 0 (zero initialisation)', () => {
    const d = drafter([[0], [0, 0]], 1);
    const draft = new Draft(3);
    draft.reset(4);
    d.propose(new TokenHistory(), draft);
    expect(Array.from(draft.tokens.subarray(0, 3))).toEqual([4, 0, 0]);
  });
});

/** A draft whose tokens are given, and predictions whose row i is `rows[i]`. */
function scenario(tokens: number[], parents: number[], rows: number[][], k: number) {
  const draft = new Draft(tokens.length);
  draft.reset(tokens[0]);
  for (let i = 1; i < tokens.length; i++) draft.add(tokens[i], parents[i]);
  const preds = new Predictions(tokens.length, k);
  rows.forEach((r, i) => {
    preds.argmax[i] = r[0];
    r.forEach((t, j) => (preds.topIds[i * k + j] = t));
  });
  preds.count = tokens.length;
  const acc = new Acceptance(tokens.length);
  acc.path[0] = 0;
  acc.length = 1;
  return { draft, preds, acc };
}

describe('TokenRecyclingDrafter update', () => {
  // token 3 occurs at nodes 1 and 3 (BFS order); rows differ so the winner is visible.
  const tokens = [1, 3, 4, 3];
  const parents = [-1, 0, 0, 1];
  const rows = [
    [10, 11],
    [12, 13],
    [14, 15],
    [16, 17],
  ];

  it('overwrites the row of every node; last occurrence in BFS order wins by default', () => {
    const d = drafter([[0], [1], [0, 0]], 2);
    const { draft, preds, acc } = scenario(tokens, parents, rows, 2);
    d.observe(draft, preds, acc);
    const m = d.matrix;
    expect([m.get(1, 0), m.get(1, 1)]).toEqual([10, 11]);
    expect([m.get(3, 0), m.get(3, 1)]).toEqual([16, 17]);
    expect([m.get(4, 0), m.get(4, 1)]).toEqual([14, 15]);
    const expected = new AdjacencyMatrix(20, 2);
    expected.setRow(1, Int32Array.from([10, 11]), 0);
    expected.setRow(3, Int32Array.from([16, 17]), 0);
    expected.setRow(4, Int32Array.from([14, 15]), 0);
    expect(Array.from(m.data)).toEqual(Array.from(expected.data));
  });

  it('with the first rule the first occurrence wins', () => {
    const d = drafter([[0], [1], [0, 0]], 2, { duplicateRule: 'first' });
    const { draft, preds, acc } = scenario(tokens, parents, rows, 2);
    d.observe(draft, preds, acc);
    expect([d.matrix.get(3, 0), d.matrix.get(3, 1)]).toEqual([12, 13]);
  });

  it('accepted-only scope leaves rejected nodes untouched', () => {
    const d = drafter([[0], [1], [0, 0]], 2, { updateScope: 'accepted' });
    const { draft, preds, acc } = scenario(tokens, parents, rows, 2);
    acc.path[1] = 1;
    acc.length = 2;
    d.observe(draft, preds, acc);
    expect([d.matrix.get(1, 0), d.matrix.get(3, 0), d.matrix.get(4, 0)]).toEqual([10, 12, 0]);
  });

  it('copies only k ids when the model provides wider rows', () => {
    const d = drafter([[0]], 1);
    const { draft, preds, acc } = scenario(
      [1, 3],
      [-1, 0],
      [
        [5, 6, 7],
        [8, 9, 10],
      ],
      3,
    );
    d.observe(draft, preds, acc);
    expect(Array.from(d.matrix.data.subarray(0, 4))).toEqual([0, 5, 0, 8]);
  });

  it('cold start resets the matrix and seeds rows from the prompt predictions', () => {
    const d = drafter([[0]], 2, { start: 'cold' });
    expect(d.wantsPromptPredictions).toBe(true);
    setRow(d, 9, [1, 1]);
    const history = new TokenHistory();
    history.begin(Int32Array.from([2, 5, 2, 6]), 10);
    const pp = new Predictions(4, 2);
    [
      [7, 8],
      [9, 10],
      [11, 12],
    ].forEach((r, i) => pp.topIds.set(r, i * 2));
    pp.count = 3; // prompt[:-1]
    d.beginRequest(history, pp);
    expect([d.matrix.get(2, 0), d.matrix.get(5, 0), d.matrix.get(9, 0), d.matrix.get(6, 0)]).toEqual([11, 9, 0, 0]);
  });
});

describe('AdjacencyMatrix persistence', () => {
  it('round-trips and refuses files for another model, vocabulary or k', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-m-'));
    const file = path.join(dir, 'm.bin');
    const m = new AdjacencyMatrix(20, 3);
    m.setRow(4, Int32Array.from([1, 2, 3]), 0);
    m.save(file, SHA);
    const back = new AdjacencyMatrix(20, 3);
    back.load(file, SHA);
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
    expect(m.bytes).toBe(20 * 3 * 4);
    expect(() => new AdjacencyMatrix(20, 3).load(file, 'b'.repeat(64))).toThrow(/saved for model sha256 a+, but the loaded model is b+/);
    expect(() => new AdjacencyMatrix(21, 3).load(file, SHA)).toThrow(/vocabulary of 20, the model has 21/);
    expect(() => new AdjacencyMatrix(20, 2).load(file, SHA)).toThrow(/k = 3, this run uses k = 2/);
    const junk = path.join(dir, 'junk.bin');
    writeFileSync(junk, 'hello');
    expect(() => new AdjacencyMatrix(20, 3).load(junk, SHA)).toThrow(/not a trbench TR matrix file/);
  });
});
