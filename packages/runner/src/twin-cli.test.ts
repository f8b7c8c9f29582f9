// Model specs trbench builds (twins, derived stories260K models) wherever a model is accepted: the CLI
// and sweep configs go through resolveModel, so a twin decodes like stories260K and a bad spec is one
// line with exit code 2.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NAMED_TWIN_SHAPES } from '@trbench/assets';
import { describe, expect, it } from 'vitest';
import { loadSweepConfig } from './config/load.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'trbench.js');
const run = promisify(execFile);

async function trbench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const TWIN = 'twin:d128-l6-h16-kv8-f192:f32';
/** A wide twin: 32,000 tokens, untied LM head (issue 19). */
const WIDE_TWIN = 'twin:d256-l5-h32-kv16-f172-v32000:f32';

describe('twins and derived specs in the CLI and in configs', () => {
  it.each([
    ['llama.cpp', TWIN],
    ['onnx', TWIN],
    ['onnx', WIDE_TWIN], // both backends: twin-wide.stories.test.ts
  ])(
    'trbench generate on a twin gives stories260K’s text (%s, %s)',
    async (backend, spec) => {
      const args = ['generate', '--method', 'ar', '--backend', backend, '--prompt', 'Once upon a time', '--max-new-tokens', '40', '--json'];
      const twin = await trbench([...args, '--model', spec]);
      const real = await trbench([...args, '--model', 'stories260K']);
      expect(twin.code).toBe(0);
      expect(real.code).toBe(0);
      expect(JSON.parse(twin.stdout).text).toBe(JSON.parse(real.stdout).text);
      expect(JSON.parse(twin.stdout).model).toMatchObject({ name: spec });
    },
    240_000,
  );

  it.each([
    ['twin:vicuna-70b', /unknown shape "vicuna-70b"/],
    ['twin:vicuna-7b:int3', /unknown type "int3"/],
    ['stories260K:layers=7', /layer 7 does not exist/],
    ['twin:d256-l6-h16-kv8-f688-v0', /vocabulary "-v0" is below stories260K's 512 tokens/],
    ['twin:d256-l6-h16-kv8-f688-v2.5', /vocabulary "-v2\.5" is not a positive integer/],
    ['twin:d256-l6-h16-kv8-f688-v100', /vocabulary "-v100" is below stories260K's 512 tokens/],
    ['twin:d256-l6-h16-kv8-f688-v9999999', /vocabulary "-v9999999" is above the largest twin vocabulary, 262144/],
  ])(
    'a bad spec (%s) is one line on stderr and exit code 2',
    async (spec, why) => {
      const r = await trbench(['generate', '--model', spec, '--prompt', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      if (spec.startsWith('twin:')) for (const name of Object.keys(NAMED_TWIN_SHAPES)) expect(r.stderr).toContain(name);
    },
    120_000,
  );

  it('sweep configs accept twins and derived specs and name the field of a bad one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-twin-config-'));
    const config = (model: string) => {
      const file = path.join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(
        file,
        `maxNewTokens: 8\nmodels:\n  - model: "${model}"\ndatasets:\n  - dataset: stories\n    limit: 1\nmethods:\n  - method: tr\n`,
      );
      return file;
    };
    const ok = await loadSweepConfig(config(TWIN));
    expect(ok.models[0].resolved.name).toBe(TWIN);
    expect((await loadSweepConfig(config('stories260K:layers=0,1,2,4'))).models[0].resolved.name).toBe('stories260K:layers=0,1,2,4');
    await expect(loadSweepConfig(config('twin:d256-l6-h24-kv8-f688'))).rejects.toThrow(
      /models\[0\]\.model.*24 heads do not divide the width 256/,
    );
  }, 120_000);
});
