// `trbench generate --method sps` as a user meets it: lossless output with real draft models, and one
// clear line with exit code 2 for a draft that cannot serve (other tokenizer, self-speculation on a twin).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeGguf, readGgufHeader, resolveModel } from '@trbench/assets';
import { describe, expect, it } from 'vitest';
import { draftSpecOf } from '../models/draft-model.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trbench.js');
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

const PROMPT = ['--prompt', 'Once upon a time', '--max-new-tokens', '120'];

describe('trbench generate --method sps', () => {
  it('a q8_0 draft: identical to plain decoding, with the draft model and its sha256 in the parameters', async () => {
    const r = await trbench(['generate', '--method', 'sps', '--draft-model', 'stories260K:q8_0', ...PROMPT, '--check-lossless', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.losslessIdentical).toBe(true);
    expect(out.params).toMatchObject({ draftModel: 'stories260K:q8_0', gamma: 4 });
    expect(out.params.draftSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(out.params.draftSha256).not.toBe(out.model.sha256);
    expect(out.meanAcceptedTokens).toBeGreaterThan(3);
    expect(out.timing.draftMs).toBeGreaterThan(0);
  });

  it('self-speculation, a tree, and a draft on the other backend: all identical to plain decoding', async () => {
    for (const extra of [
      ['--draft-model', 'self:layers=0,1,2,4', '--sps-gamma', '3'],
      ['--draft-model', 'stories260K:q4_0', '--sps-tree', 'greedy:8:3'],
      ['--draft-model', 'stories260K', '--draft-backend', 'onnx'],
    ]) {
      const r = await trbench(['generate', '--method', 'sps', ...extra, ...PROMPT, '--check-lossless', '--json']);
      expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).losslessIdentical, extra.join(' ')).toBe(true);
    }
  });

  it('refuses self-speculation on a twin with one line that says why', async () => {
    const r = await trbench([
      'generate',
      '--model',
      'twin:d128-l6-h16-kv8-f192:f32',
      '--method',
      'sps',
      '--draft-model',
      'self:layers=0,1',
      ...PROMPT,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/twin \(d128-l6-h16-kv8-f192\).*identity/);
  });

  it('refuses a draft with another tokenizer with one line naming both', async () => {
    // A GGUF with stories260K's metadata but one token text changed (no weights: the check reads headers only).
    const source = await resolveModel('stories260K');
    const header = readGgufHeader(source.path);
    const metadata = [...header.metadata.entries()].map(([k, v]) => {
      if (k !== 'tokenizer.ggml.tokens' || v.type !== 'string[]') return [k, v] as const;
      const tokens = [...v.value];
      tokens[300] = `${tokens[300]}x`;
      return [k, { type: 'string[]' as const, value: tokens }] as const;
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'trbench-sps-')), 'other-tokenizer.gguf');
    writeFileSync(
      file,
      encodeGguf(
        metadata.map(([k, v]) => [k, v]),
        [],
      ),
    );
    const r = await trbench(['generate', '--method', 'sps', '--draft-model', file, ...PROMPT]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('the target stories260K');
    expect(r.stderr).toContain('tokenizer');
  });

  it('refuses bad self specs and a missing draft model with one line', async () => {
    expect(() => draftSpecOf('self:layers=a', 'stories260K')).toThrow(/expected self:layers=<i,j,...>/);
    expect(() => draftSpecOf('self:layers=0,1', 'hf:a/b/c.gguf')).toThrow(/needs a stories260K target/);
    expect(draftSpecOf('self:layers=0,1', 'stories260K:q8_0')).toBe('stories260K:q8_0:layers=0,1');
    expect(draftSpecOf('stories260K:q4_0', 'stories260K')).toBe('stories260K:q4_0');
    const r = await trbench(['generate', '--method', 'sps', ...PROMPT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/draftModel: required/);
  });
});
