import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { manifestOf } from '../sweep/run-dir.ts';
import { loadSweepConfig } from './load.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-config-'));
});

function configFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const VALID = `
name: demo
maxNewTokens: 32
warmup: 1
models:
  - model: stories260K
datasets:
  - dataset: stories
    limit: 3
  - dataset: spec-bench
    subset: [qa, mt_bench]
    limit: 2
    pick: spread
methods:
  - method: tr
    params: { k: [8, 12], template: "2.2.2" }
`;

async function loadError(text: string, name = 'bad.yaml'): Promise<string> {
  const file = configFile(name, text);
  try {
    await loadSweepConfig(file);
  } catch (err) {
    expect(err).toBeInstanceOf(TrbenchError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadSweepConfig', () => {
  it('loads a valid config: AR added first, grids expanded, datasets selected, model resolved', async () => {
    const config = await loadSweepConfig(configFile('ok.yaml', VALID));
    expect(config.name).toBe('demo');
    expect(config.variants.map((v) => v.id)).toEqual(['ar', 'tr[k=8,template=2.2.2]', 'tr[k=12,template=2.2.2]']);
    expect(config.variants[1].params).toMatchObject({ k: 8, template: '2.2.2', start: 'hot' });
    expect(config.models[0]).toMatchObject({ id: 'stories260K', template: 'raw', threads: 1, backend: 'llama.cpp' });
    expect(config.models[0].requirements).toEqual({ maxDraftNodes: 81, topK: 12 });
    const [stories, spec] = config.datasets;
    expect(stories.questions.map((q) => q.id)).toEqual(['story-01', 'story-02', 'story-03']);
    expect(spec.subtasks).toEqual(['mt_bench', 'qa']);
    // spread picks one MT-bench question from each half of the 80, i.e. different categories
    expect(spec.questions.map((q) => q.id)).toEqual(['81', '121', '321', '361']);
    expect(spec.questions[0].turns).toHaveLength(2);
  });

  it('hashes the normalised config: key order and comments do not matter, values and --limit do', async () => {
    const a = await loadSweepConfig(configFile('a.yaml', VALID));
    const reordered = VALID.replace('maxNewTokens: 32\nwarmup: 1', '# a comment\nwarmup: 1\nmaxNewTokens: 32');
    const b = await loadSweepConfig(configFile('b.yaml', reordered));
    expect(b.hash).toBe(a.hash);
    const c = await loadSweepConfig(configFile('c.yaml', VALID.replace('warmup: 1', 'warmup: 2')));
    expect(c.hash).not.toBe(a.hash);
    const d = await loadSweepConfig(configFile('a.yaml', VALID), { limit: 1 });
    expect(d.hash).not.toBe(a.hash);
    expect(d.datasets[0].questions).toHaveLength(1);
  });

  it('a model entry may choose its ranking path (rank), which enters the hash', async () => {
    const a = await loadSweepConfig(configFile('a.yaml', VALID));
    expect(a.models[0].rank).toBeUndefined();
    const engine = await loadSweepConfig(
      configFile('r.yaml', VALID.replace('  - model: stories260K', '  - model: stories260K\n    rank: engine')),
    );
    expect(engine.models[0].rank).toBe('engine');
    expect(engine.hash).not.toBe(a.hash);
    expect(await loadError(VALID.replace('  - model: stories260K', '  - model: stories260K\n    rank: gpu'))).toMatch(
      /models\[0\]\.rank.*host.*engine.*auto/,
    );
  });

  it('names the file, the field path, the value and what is allowed for a bad method parameter', async () => {
    const message = await loadError(VALID.replace('k: [8, 12]', 'k: 0'));
    expect(message).toMatch(/bad\.yaml: methods\[0\]\.params\.k: .*>=1.*\(got 0\)/);
  });

  it('points at the list element of a grid', async () => {
    const message = await loadError(VALID.replace('k: [8, 12]', 'k: [8, 0]'));
    expect(message).toMatch(/methods\[0\]\.params\.k\[1\]: .*\(got 0\)/);
  });

  it('rejects an unknown method, listing the known ones', async () => {
    const message = await loadError(`${VALID}  - method: medusa\n`);
    expect(message).toMatch(/bad\.yaml: methods\[1\]\.method: unknown method "medusa": expected one of ar, .*\btr\b/);
  });

  it('skips an optional method this build lacks, with a note', async () => {
    const config = await loadSweepConfig(configFile('opt.yaml', `${VALID}  - method: not-yet\n    optional: true\n`));
    expect(config.variants.map((v) => v.method)).toEqual(['ar', 'tr', 'tr']);
    expect(config.notes).toEqual(['methods[1]: method not-yet is not available in this build; skipped (optional)']);
  });

  it('keeps speedupGate: false on its variants, out of the config hash', async () => {
    const plain = await loadSweepConfig(configFile('gated.yaml', VALID));
    const config = await loadSweepConfig(configFile('ungated.yaml', `${VALID}    speedupGate: false\n`));
    expect(config.variants.map((v) => v.speedupGate ?? true)).toEqual([true, false, false]);
    expect(config.hash).toBe(plain.hash);
    expect(await loadError(`${VALID}    speedupGate: no\n`)).toMatch(/methods\[0\]\.speedupGate/);
  });

  it('numericTie widens the lossless diagnosis, is recorded in the manifest only when set, and stays out of the hash', async () => {
    const plain = await loadSweepConfig(configFile('tie-default.yaml', VALID));
    const wide = await loadSweepConfig(configFile('tie-wide.yaml', `numericTie: 0.02\n${VALID}`));
    expect(plain.numericTie).toBe(0.01);
    expect(wide.numericTie).toBe(0.02);
    expect(wide.hash).toBe(plain.hash);
    expect(manifestOf(plain, 'demo').config.numericTie).toBeUndefined();
    expect(manifestOf(wide, 'demo').config.numericTie).toBe(0.02);
    expect(await loadError(`numericTie: 0\n${VALID}`)).toMatch(/numericTie.*0/);
    expect(await loadError(`numericTie: 0.5\n${VALID}`)).toMatch(/numericTie.*0\.1/);
  });

  it('rejects an unknown parameter of a method', async () => {
    const message = await loadError(VALID.replace('template: "2.2.2"', 'templat: "2.2.2"'));
    expect(message).toMatch(/methods\[0\]\.params: Unrecognized key: "templat"/);
  });

  it('rejects a config without datasets and a dataset file that does not exist', async () => {
    expect(await loadError(VALID.replace(/datasets:[\s\S]*?methods:/, 'methods:'))).toMatch(
      /bad\.yaml: datasets: .*expected array.*\(got nothing\)/,
    );
    const missing = await loadError(
      VALID.replace('  - dataset: stories\n    limit: 3', '  - dataset: jsonl\n    path: nowhere.jsonl\n    fields: { prompt: text }'),
    );
    expect(missing).toMatch(/datasets\[0\]\.path: dataset file not found: .*nowhere\.jsonl/);
  });

  it('rejects an unknown dataset kind and an unknown Spec-Bench subtask', async () => {
    expect(await loadError(VALID.replace('dataset: stories', 'dataset: gsm8k'))).toMatch(
      /datasets\[0\]\.dataset: .*'spec-bench' \| 'mbpp'.*\(got "gsm8k"\)/,
    );
    expect(await loadError(VALID.replace('subset: [qa, mt_bench]', 'subset: [qa, poetry]'))).toMatch(/datasets\[1\]\.subset\[1\]/);
  });

  it('rejects unknown keys, bad YAML, a missing file and duplicate variants', async () => {
    expect(await loadError(`${VALID}\nrepeat: 3\n`)).toMatch(/bad\.yaml: \(root\): Unrecognized key: "repeat"/);
    expect(await loadError('models: [\n')).toMatch(/bad\.yaml: not valid YAML\/JSON/);
    await expect(loadSweepConfig(path.join(dir, 'absent.yaml'))).rejects.toThrow(/config file not found/);
    expect(await loadError(`${VALID}  - method: tr\n    params: { k: 8, template: "2.2.2" }\n`)).toMatch(
      /methods\[1\]: variant tr\[k=8,template=2\.2\.2\] is listed twice/,
    );
    expect(await loadError(`${VALID}  - method: tr\n`)).toMatch(/methods\[1\]: variant tr has the same parameters as tr\[k=8/);
  });

  it('rejects a method restricted to a dataset id that does not exist', async () => {
    expect(await loadError(`${VALID}    datasets: [mbpp]\n`)).toMatch(/methods\[0\]\.datasets\[0\]: no dataset has the id "mbpp"/);
  });

  it('reads generic JSONL through a field mapping, relative to the config file', async () => {
    writeFileSync(
      path.join(dir, 'mine.jsonl'),
      '{"key": "a", "q": {"text": "Once upon a time"}, "cat": "x"}\n{"key": "b", "q": {"text": "Tom"}, "cat": "y"}\n',
    );
    const config = await loadSweepConfig(
      configFile(
        'jsonl.yaml',
        'models: [{model: stories260K}]\ndatasets: [{dataset: jsonl, path: mine.jsonl, fields: {id: key, prompt: q.text, category: cat}}]\nmethods: [{method: ar}]\n',
      ),
    );
    expect(config.name).toBe('jsonl');
    expect(config.datasets[0]).toMatchObject({ id: 'mine', subtasks: ['x', 'y'] });
    expect(config.datasets[0].questions[1]).toEqual({ id: 'b', subtask: 'y', category: 'y', turns: ['Tom'] });
    expect(config.variants.map((v) => v.id)).toEqual(['ar']);
  });
});
