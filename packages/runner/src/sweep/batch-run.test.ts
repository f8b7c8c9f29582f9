import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { hasBatchAxis } from './batch-run.ts';

describe('the batch axis of sweep configs', () => {
  it('is detected in the file and validated by the schema', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-batch-'));
    const withBatch = path.join(dir, 'a.yaml');
    const without = path.join(dir, 'b.yaml');
    writeFileSync(withBatch, 'batch: [1, 2, 4, 8]\nmodels: []\n');
    writeFileSync(without, 'models: []\n');
    expect(hasBatchAxis(withBatch)).toBe(true);
    expect(hasBatchAxis(without)).toBe(false);
    expect(hasBatchAxis(path.join(dir, 'missing.yaml'))).toBe(false);
    const base = { models: [{ model: 'stories260K' }], datasets: [{ dataset: 'stories' }], methods: [{ method: 'tr' }] };
    expect(configSchema.parse({ ...base, batch: [1, 4], batchBudget: ['shared'] }).batch).toEqual([1, 4]);
    expect(configSchema.safeParse({ ...base, batch: [0] }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, batch: [] }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, batchBudget: ['greedy'] }).success).toBe(false);
    expect(configSchema.parse(base).batch).toBeUndefined();
  });
});
