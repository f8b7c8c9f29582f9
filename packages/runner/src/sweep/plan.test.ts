import { describe, expect, it } from 'vitest';
import type { SweepConfig } from '../config/load.ts';
import { planBlocks, planUnits, variantOrder } from './plan.ts';

/** Just the fields the planner reads. */
function config(): SweepConfig {
  const questions = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `q${i + 1}` }));
  return {
    repeats: 2,
    models: [{ id: 'm' }],
    datasets: [
      { id: 'a', questions: questions(3) },
      { id: 'b', questions: questions(2) },
    ],
    variants: [
      { id: 'ar', datasets: null },
      { id: 'tr', datasets: null },
      { id: 'rest', datasets: ['b'] },
    ],
  } as unknown as SweepConfig;
}

describe('planBlocks', () => {
  it('groups the variants of one model × dataset × repeat, AR first, with every question', () => {
    const blocks = planBlocks(config());
    expect(blocks.map((b) => [b.dataset.id, b.repeat, b.units.map((u) => u.variant.id), b.questions])).toEqual([
      ['a', 0, ['ar', 'tr'], [0, 1, 2]],
      ['a', 1, ['ar', 'tr'], [0, 1, 2]],
      ['b', 0, ['ar', 'tr', 'rest'], [0, 1]],
      ['b', 1, ['ar', 'tr', 'rest'], [0, 1]],
    ]);
    expect(planUnits(config()).map((u) => u.key)).toContain(JSON.stringify(['m', 'b', 1, 'rest']));
  });
});

describe('variantOrder', () => {
  it('rotates by question index so each variant takes every position equally often', () => {
    expect([0, 1, 2, 3].map((q) => variantOrder(3, q))).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
    const firsts = Array.from({ length: 12 }, (_, q) => variantOrder(4, q)[0]);
    for (let v = 0; v < 4; v++) expect(firsts.filter((x) => x === v)).toHaveLength(3);
    expect(variantOrder(0, 5)).toEqual([]);
  });
});
