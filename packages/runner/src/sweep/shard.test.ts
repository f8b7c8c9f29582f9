import { describe, expect, it } from 'vitest';
import { pairKey, parseShard, shardRanges, shardRunName } from './shard.ts';

describe('parseShard', () => {
  it('reads I/N and refuses what is not a shard', () => {
    expect(parseShard('2/8', {})).toEqual({ index: 2, count: 8, source: '--shard 2/8' });
    expect(() => parseShard('0/8', {})).toThrow(/shard 0 is outside 1\.\.8/);
    expect(() => parseShard('9/8', {})).toThrow(/shard 9 is outside 1\.\.8/);
    expect(() => parseShard('2of8', {})).toThrow(/expected I\/N \(1-based/);
    expect(() => parseShard('1/0', {})).toThrow(/count must be an integer >= 1/);
    expect(() => parseShard('1/2', {}, 2)).toThrow(/--shard-count goes with --shard auto/);
  });

  it('auto: SLURM array with COUNT or MIN/MAX (0- or 1-based, with a step), and says which variables it used', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({
      index: 1,
      count: 4,
      source: 'SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4',
    });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' })).toMatchObject({
      index: 4,
      count: 4,
    });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).toMatchObject({ index: 4, count: 4 });
    expect(
      parseShard('auto', { SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_STEP: '2' }),
    ).toMatchObject({ index: 4, count: 5 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' }, 4)).toMatchObject({ index: 3, count: 4 });
  });

  it('auto: refuses SLURM arrays it cannot map, and a disagreeing --shard-count', () => {
    expect(() =>
      parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' }),
    ).toThrow(/non-contiguous array/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '3' })).toThrow(/neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN\/MAX/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/shard 5 is outside 1\.\.4/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(
      /SLURM_ARRAY_TASK_ID="x": expected an integer/,
    );
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' }, 3)).toThrow(
      /--shard-count 3 disagrees with the SLURM array's 4 tasks/,
    );
  });

  it('auto: Kubernetes Indexed Job index with --shard-count', () => {
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2' }, 5)).toEqual({
      index: 3,
      count: 5,
      source: 'JOB_COMPLETION_INDEX=2 --shard-count 5',
    });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '2' })).toThrow(/needs --shard-count N/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '5' }, 5)).toThrow(/shard 6 is outside 1\.\.5/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0', SLURM_ARRAY_TASK_ID: '0' }, 2)).toThrow(/both .* are set/);
    expect(() => parseShard('auto', {})).toThrow(/found neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX/);
  });
});

describe('shardRanges', () => {
  const models = ['a', 'b'];
  const datasets = [
    { id: 'x', questions: 5 },
    { id: 'y', questions: 0 },
    { id: 'z', questions: 3 },
  ];

  it('splits the (model, question) items into N contiguous blocks that cover each exactly once, sizes within one', () => {
    for (let n = 1; n <= 20; n++) {
      const owner = new Map<string, number>();
      const sizes: number[] = [];
      for (let i = 1; i <= n; i++) {
        const ranges = shardRanges(models, datasets, i, n);
        let size = 0;
        for (const m of models)
          for (const d of datasets) {
            const r = ranges.get(pairKey(m, d.id))!;
            expect(r.start).toBeLessThanOrEqual(r.end);
            for (let q = r.start; q < r.end; q++) {
              const key = `${m}/${d.id}/${q}`;
              expect(owner.has(key)).toBe(false);
              owner.set(key, i);
              size++;
            }
          }
        sizes.push(size);
      }
      expect(owner.size).toBe(16);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      // plan order: shard numbers never decrease along the items
      const order = models.flatMap((m) =>
        datasets.flatMap((d) => Array.from({ length: d.questions }, (_, q) => owner.get(`${m}/${d.id}/${q}`)!)),
      );
      expect(order).toEqual([...order].sort((p, q) => p - q));
    }
  });

  it('follows the documented rule: item j of T goes to shard floor(j*N/T)+1', () => {
    const ranges = shardRanges(['m'], [{ id: 'd', questions: 7 }], 2, 3);
    expect(ranges.get(pairKey('m', 'd'))).toEqual({ start: 3, end: 5 });
  });

  it('names shard folders so that they sort by index', () => {
    expect(shardRunName('default', { index: 2, count: 16 })).toBe('default.shard-02-of-16');
    expect(shardRunName('default', { index: 1, count: 1 })).toBe('default.shard-1-of-1');
  });
});
