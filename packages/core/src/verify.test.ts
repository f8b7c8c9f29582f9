import { describe, expect, it } from 'vitest';
import { Draft } from './draft.ts';
import { Predictions } from './predictions.ts';
import { Acceptance, verifyGreedy } from './verify.ts';

function predict(draft: Draft, argmax: number[]): Predictions {
  const p = new Predictions(draft.capacity, 1);
  for (let i = 0; i < argmax.length; i++) p.argmax[i] = argmax[i];
  p.count = draft.count;
  return p;
}

describe('verifyGreedy', () => {
  it('accepts the longest matching path and takes the bonus after it', () => {
    const d = new Draft(8);
    d.reset(100);
    const a = d.add(5, 0); // matches argmax(root)=5
    const b = d.add(6, 0);
    const c = d.add(7, a); // matches argmax(a)=7
    d.add(9, b);
    const out = new Acceptance(8);
    verifyGreedy(d, predict(d, [5, 7, 0, 42, 0]), out);
    expect(Array.from(out.path.subarray(0, out.length))).toEqual([0, a, c]);
    expect(out.bonusToken).toBe(42);
  });

  it('accepts only the root (bonus = root argmax) when nothing matches', () => {
    const d = new Draft(4);
    d.reset(1);
    d.add(2, 0);
    const out = new Acceptance(4);
    verifyGreedy(d, predict(d, [3, 9]), out);
    expect(out.length).toBe(1);
    expect(out.bonusToken).toBe(3);
  });

  it('with duplicate siblings prefers the deeper match, then draft order', () => {
    const d = new Draft(8);
    d.reset(0);
    const first = d.add(5, 0); // duplicate sibling without children
    const second = d.add(5, 0);
    const deep = d.add(8, second);
    const out = new Acceptance(8);
    verifyGreedy(d, predict(d, [5, 8, 8, 1]), out);
    expect(Array.from(out.path.subarray(0, out.length))).toEqual([0, second, deep]);
    verifyGreedy(d, predict(d, [5, 8, 3, 1]), out);
    expect(Array.from(out.path.subarray(0, out.length))).toEqual([0, first]);
  });

  it('never accepts nodes marked not verifiable', () => {
    const d = new Draft(4);
    d.reset(0);
    d.add(5, 0, false);
    const out = new Acceptance(4);
    verifyGreedy(d, predict(d, [5, 1]), out);
    expect(out.length).toBe(1);
  });
});
