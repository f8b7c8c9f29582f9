// The `trbench generate` contract as a user meets it: the golden text, the JSON fields, --check-lossless,
// and one clear line with a non-zero exit for every kind of bad input.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trbench.js');
const run = promisify(execFile);

async function trbench(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const GOLDEN_60 =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';

describe('trbench generate', () => {
  it('prints the golden greedy text of stories260K as JSON with the documented fields', async () => {
    const r = await trbench(['generate', '--model', 'stories260K', '--method', 'ar', '--prompt', '', '--max-new-tokens', '60', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.text.startsWith(GOLDEN_60)).toBe(true);
    for (const key of [
      'method',
      'model',
      'backend',
      'promptTokens',
      'promptTokenIds',
      'tokens',
      'text',
      'newTokens',
      'steps',
      'acceptedPerStep',
      'meanAcceptedTokens',
      'wallMs',
    ]) {
      expect(out, key).toHaveProperty(key);
    }
    expect(out.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(out.model.stopTokens).toEqual([1, 2]);
    expect(out.backend.name).toBe('llama.cpp');
    expect([out.newTokens, out.steps, out.promptTokens, out.meanAcceptedTokens]).toEqual([60, 60, 1, 1]);
    expect(out.acceptedPerStep).toEqual(new Array(60).fill(0));
    expect(out.environment.node).toBe(process.version);
  });

  it('prints promptTokenIds, the ids the model saw with BOS first, and runs a llama.cpp n-gram method from its flags', async () => {
    const prompt = 'Tom had a red ball. Tom had a red ball. Tom had a';
    const r = await trbench([
      'generate',
      '--method',
      'ngram-mod',
      '--spec-ngram-mod-n-match',
      '3',
      '--spec-ngram-mod-n-min',
      '1',
      '--spec-ngram-mod-n-max',
      '8',
      '--prompt',
      prompt,
      '--max-new-tokens',
      '40',
      '--json',
      '--check-lossless',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.promptTokenIds).toHaveLength(out.promptTokens);
    expect(out.promptTokenIds[0]).toBe(1); // BOS
    // The repeated sentence tokenises to the same ids twice.
    const ids: number[] = out.promptTokenIds.slice(1);
    const half = ids.indexOf(ids[0], 1);
    expect(half).toBeGreaterThan(0);
    expect(ids.slice(half, 2 * half)).toEqual(ids.slice(0, half));
    expect(out.params).toMatchObject({ nMatch: 3, nMin: 1, nMax: 8, lifetime: 'warm' });
    expect(out.losslessIdentical).toBe(true);
    expect(out.meanAcceptedTokens).toBeGreaterThan(1);
    const empty = JSON.parse((await trbench(['generate', '--prompt', '', '--max-new-tokens', '1', '--json'])).stdout);
    expect(empty.promptTokenIds).toEqual([1]);
  });

  it('--check-lossless adds losslessIdentical for a speculative method', async () => {
    const r = await trbench([
      'generate',
      '--method',
      'tr',
      '--template',
      'chain:4',
      '--prompt',
      'Tom had a red ball.',
      '--max-new-tokens',
      '40',
      '--json',
      '--check-lossless',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.losslessIdentical).toBe(true);
    expect(out.meanAcceptedTokens).toBeGreaterThan(1);
  });

  it.each([
    ['an unknown method', ['--method', 'nope'], /unknown method "nope"/],
    ['--max-new-tokens 0', ['--max-new-tokens', '0'], /--max-new-tokens must be an integer >= 1 \(got "0"\)/],
    ['a negative --max-new-tokens', ['--max-new-tokens=-3'], /--max-new-tokens must be an integer >= 1 \(got "-3"\)/],
    ['a missing model', ['--model', 'missing.gguf'], /model file not found: .*missing\.gguf/],
    ['a non-GGUF model file', ['--model', BIN], /not a GGUF file/],
    ['k = 0', ['--method', 'tr', '--k', '0'], /k: Too small/],
    ['an empty chain template', ['--method', 'tr', '--template', 'chain:0'], /chain length must be an integer >= 1/],
    ['a flag of another method', ['--method', 'ar', '--k', '3'], /--k does not apply to method ar/],
    ['a negative temperature', ['--temperature', '-1'], /temperature must be >= 0/],
    [
      'a prompt longer than the context',
      ['--prompt', 'Once upon a time '.repeat(200)],
      /the prompt has \d+ tokens but the context holds 512/,
    ],
  ])('rejects %s with one clear line and a non-zero exit', async (_label, args, message) => {
    const base = args.includes('--prompt') ? [] : ['--prompt', 'hello'];
    const r = await trbench(['generate', ...base, ...(args as string[])]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe('');
  });

  it('refuses a mirror whose model file fails its checksum', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-cli-'));
    mkdirSync(path.join(dir, 'mirror', 'models', 'stories260K'), { recursive: true });
    writeFileSync(path.join(dir, 'mirror', 'models', 'stories260K', 'stories260K.bin'), 'corrupt');
    const r = await trbench(['generate', '--prompt', 'x'], {
      TRBENCH_MIRROR: path.join(dir, 'mirror'),
      TRBENCH_CACHE: path.join(dir, 'cache'),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/checksum mismatch for models\/stories260K\/stories260K\.bin/);
  });
});
