import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import { describe, expect, it } from 'vitest';
import { readSweepConfig } from '../config/load.ts';
import { trbench } from '../testing/cli.ts';
import { dryRunPlan } from './dry-run.ts';

const PAPER = path.join(repoRoot, 'configs', 'paper-table1.yaml');

describe('configs/paper-table1.yaml', () => {
  it('plans the paper: 480 Spec-Bench questions, both MT-bench turns, 1024 tokens, vicuna template, Table 1 methods', async () => {
    const plan = dryRunPlan(await readSweepConfig(PAPER));
    expect(plan.datasets).toHaveLength(1);
    const [d] = plan.datasets;
    expect([d.id, d.questions, d.turns, d.maxNewTokens]).toEqual(['spec-bench', 480, 560, 1024]);
    expect(d.perSubtask).toBe('MT 80, Trans 80, Sum 80, QA 80, Math 80, RAG 80');
    expect(plan.variants.map((v) => v.replace(/\[.*$/, ''))).toEqual([
      'ar',
      'tr',
      'pld',
      'lookahead',
      'rest',
      'suffix',
      'sam-tr',
      'sam',
      'hybrid',
    ]);
    expect(plan.models[0].settings).toContain('template vicuna');
    expect(plan.models[0].settings).toContain('greedy');
    // 9 variants × 480 questions, 9 × 560 turns, 9 × 3 warm-ups.
    expect([plan.questionRuns, plan.turns, plan.warmupRuns, plan.maxTokens]).toEqual([4320, 5040, 27, 5040 * 1024]);
  });

  it('--dry-run prints where the model and the datastore are looked for, and opens, downloads and writes nothing', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'trbench-dry-'));
    const missing = path.join(cache, 'nowhere', 'vicuna.gguf');
    const r = await trbench(['run', PAPER, '--dry-run', '--out', path.join(cache, 'runs')], {
      env: { TRBENCH_CACHE: cache, TRBENCH_MODEL: missing, TRBENCH_REST_DATASTORE: path.join(cache, 'none.rest') },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`model vicuna-7b-v1.3 (${missing}): ${missing}: NOT FOUND`);
    expect(r.stdout).toContain('480 questions (MT 80, Trans 80, Sum 80, QA 80, Math 80, RAG 80), 560 turns, up to 1024 new tokens');
    expect(r.stdout).toContain('runs: 4320 recorded question runs (5040 turns');
    expect(r.stdout).toContain(`reads datastore ${path.join(cache, 'none.rest')}: NOT FOUND`);
    expect(r.stdout).toMatch(/^missing: model vicuna-7b-v1\.3: .*vicuna\.gguf; rest\[.*\] datastore: .*none\.rest/m);
    // Nothing was written: no run folder, nothing in the model cache (the dataset it read and its hash may be there).
    expect(existsSync(path.join(cache, 'runs'))).toBe(false);
    expect(readdirSync(cache).filter((f) => f !== 'files' && f !== 'sha256')).toEqual([]);
  });

  it('a model and datastore that exist are found (by path, never opened: any bytes do), and --limit shrinks the plan', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-dry-'));
    const model = path.join(dir, 'v.gguf');
    const store = path.join(dir, 'v.rest');
    writeFileSync(model, 'not even a GGUF');
    writeFileSync(store, 'x');
    const r = await trbench(['run', PAPER, '--dry-run', '--limit', '2'], {
      env: { TRBENCH_MODEL: model, TRBENCH_REST_DATASTORE: store, TRBENCH_DEVICE: 'cpu' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${model} (0.0 MiB): opened as given`);
    expect(r.stdout).toContain('device cpu');
    expect(r.stdout).toContain('12 questions (MT 2, Trans 2, Sum 2, QA 2, Math 2, RAG 2), 14 turns');
    expect(r.stdout).toContain('ready: every file the run needs is in place');
  });
});

describe('every committed config', () => {
  it('reads and plans without opening a model (the dry run of each)', async () => {
    const dir = path.join(repoRoot, 'configs');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('cpu-quant.yaml');
    for (const f of files) {
      const plan = dryRunPlan(await readSweepConfig(path.join(dir, f)));
      expect(plan.questionRuns, f).toBeGreaterThan(0);
    }
  }, 60_000);
});
