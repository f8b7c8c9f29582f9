import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainPaths, greedyPaths, PAPER_2_2_2, parseTemplate, TreeTemplate } from './template.ts';

describe('TreeTemplate', () => {
  it('reproduces the shape of the paper tree 2.2.2', () => {
    const t = parseTemplate('2.2.2', 8);
    expect(t.nodes).toBe(81);
    expect(t.layerSizes()).toEqual([8, 21, 25, 15, 8, 3]);
    expect(t.leafCount()).toBe(40);
    expect(t.maxRank).toBe(7);
    // The paper's list is already in BFS order, so normalising keeps it.
    expect(t.paths).toEqual(PAPER_2_2_2);
    // layer starts of the reference code: deep_split = [1, 9, 30, 55, 70, 78, 81]
    expect([1, 9, 30, 55, 70, 78].map((i) => t.depth[i])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.parent[30]).toBe(9); // [0,0,0] hangs under [0,0]
  });

  it('normalises any order to BFS and links parents', () => {
    const t = new TreeTemplate('x', [[1, 0], [0], [1], [0, 0, 0], [0, 0]]);
    expect(t.paths).toEqual([[0], [1], [0, 0], [1, 0], [0, 0, 0]]);
    expect(Array.from(t.parent)).toEqual([-1, 0, 0, 1, 2, 3]);
    expect(Array.from(t.rank)).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('rejects bad templates with clear errors', () => {
    expect(() => new TreeTemplate('t', [[0], [0, 1, 2]])).toThrow(/paths\[1\] = \[0,1,2\]: its prefix \[0,1\] is missing/);
    expect(() => new TreeTemplate('t', [[]])).toThrow(/depth >= 1/);
    expect(() => new TreeTemplate('t', [[0], [0]])).toThrow(/repeats paths\[0\]/);
    expect(() => new TreeTemplate('t', [[-1]])).toThrow(/integers >= 0/);
    expect(() => parseTemplate('2.2.2', 4)).toThrow(/uses rank 7, which needs k >= 8 \(got k = 4\)/);
    expect(() => parseTemplate('nonsense', 8)).toThrow(/unknown template/);
  });

  it('reads JSON files, both list and object form, and names the file in errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-tpl-'));
    const list = path.join(dir, 'list.json');
    writeFileSync(list, JSON.stringify([[0], [0, 0], [1]]));
    expect(parseTemplate(list, 2).nodes).toBe(4);
    const obj = path.join(dir, 'obj.json');
    writeFileSync(obj, JSON.stringify({ name: 'tuned', paths: [[0], [1]] }));
    expect(parseTemplate(obj, 2).name).toBe('tuned');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([[0], [2, 0]]));
    expect(() => parseTemplate(bad, 8)).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: paths\\[1\\]`));
    expect(() => parseTemplate(path.join(dir, 'missing.json'), 8)).toThrow(/cannot read template/);
  });

  it('generates chains and prior-shaped trees', () => {
    expect(chainPaths(3)).toEqual([[0], [0, 0], [0, 0, 0]]);
    const g = new TreeTemplate('g', greedyPaths(30, 6, 8));
    expect(g.nodes).toBe(31);
    expect(g.maxDepth).toBeLessThanOrEqual(6);
    // best-first growth is prefix-closed by construction and prefers low ranks
    expect(g.paths[0]).toEqual([0]);
    expect(new TreeTemplate('free', greedyPaths(80, 8, 8)).maxDepth).toBeLessThan(8);
    for (const depth of [4, 6, 8]) {
      const deep = parseTemplate(`greedy:80:${depth}`, 8);
      expect([deep.maxDepth, deep.nodes]).toEqual([depth, 81]);
    }
    const breadth = parseTemplate('greedy:30:6', 8);
    expect([breadth.maxDepth, breadth.nodes]).toEqual([6, 31]);
  });
});
