import { describe, expect, it } from 'vitest';
import { expandGrid, variantId } from './grid.ts';

describe('expandGrid', () => {
  it('takes the cartesian product of lists, first key slowest', () => {
    const points = expandGrid({ k: [4, 8], template: ['2.2.2', 'chain:3'], start: 'hot' });
    expect(points.map((p) => p.params)).toEqual([
      { k: 4, template: '2.2.2', start: 'hot' },
      { k: 4, template: 'chain:3', start: 'hot' },
      { k: 8, template: '2.2.2', start: 'hot' },
      { k: 8, template: 'chain:3', start: 'hot' },
    ]);
    expect(points[3].listIndex).toEqual({ k: 1, template: 1 });
  });

  it('gives one point for scalar params and for no params', () => {
    expect(expandGrid({ k: 8 })).toEqual([{ params: { k: 8 }, listIndex: {} }]);
    expect(expandGrid({})).toEqual([{ params: {}, listIndex: {} }]);
  });

  it('passes a list-valued parameter through when written as a list of lists', () => {
    expect(expandGrid({ paths: [[[0], [1]]] }).map((p) => p.params)).toEqual([{ paths: [[0], [1]] }]);
  });

  it('yields nothing for an empty list', () => {
    expect(expandGrid({ k: [] })).toEqual([]);
  });
});

describe('variantId', () => {
  it('labels a variant by the parameters written in the config, in config order', () => {
    expect(variantId('tr', { k: 8, template: '2.2.2' })).toBe('tr[k=8,template=2.2.2]');
    expect(variantId('pld', {})).toBe('pld');
    expect(variantId('x', { on: true, list: [1, 2] })).toBe('x[on=true,list=[1,2]]');
  });
});
