// Messages a new user meets: each names the input and what was expected, on one line, exit 2.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { repoRoot } from '@trbench/assets';
import { describe, expect, it } from 'vitest';
import { renderGenerateText } from './generation/generate.ts';
import { lineProgress } from './sweep/progress.ts';
import { trbench } from './testing/cli.ts';

async function oneLineError(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const r = await trbench(args, { env });
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('CLI messages', { timeout: 120_000 }, () => {
  it('--temperature that is not a number names the input; "" is refused, not greedy', async () => {
    expect(await oneLineError(['generate', '--prompt', 'hi', '--temperature', 'abc'])).toBe(
      'trbench: --temperature must be a number (got "abc")',
    );
    expect(await oneLineError(['generate', '--prompt', 'hi', '--temperature', ''])).toBe(
      'trbench: --temperature must be a number (got "")',
    );
    expect(await oneLineError(['generate', '--prompt', 'hi', '--top-p', ' '])).toBe('trbench: --top-p must be a number (got " ")');
  });

  it('--rank names the bad value; engine sampling without a top-k is refused in one line', async () => {
    expect(await oneLineError(['generate', '--prompt', 'hi', '--rank', 'gpu'])).toBe(
      'trbench: --rank "gpu": expected one of host, engine, auto',
    );
    expect(await oneLineError(['generate', '--prompt', 'hi', '--device', 'cpu', '--rank', 'engine', '--temperature', '1'])).toMatch(
      /^trbench: rank engine cannot sample with top-k 0 exactly: .*use --rank host, or sample with --top-k N$/,
    );
  });

  it('a YAML error keeps its position and shows the offending line', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'trbench-msg-')), 'bad.yaml');
    writeFileSync(file, 'name: x\nmodels:\n  - model: stories260K\n datasets: [\n');
    expect(await oneLineError(['run', file])).toBe(
      `trbench: ${file}: not valid YAML/JSON: All mapping items must start at the same column at line 4, column 1: " datasets: ["`,
    );
  });

  it('the unknown-template error lists auto', async () => {
    expect(await oneLineError(['generate', '--method', 'tr', '--template', 'foo', '--prompt', 'hi'])).toMatch(
      /unknown template "foo": expected 2\.2\.2, chain:N, greedy:NODES:DEPTH, a \.json file of rank paths, or auto/,
    );
  });

  it('a mirror folder that does not exist is named as such', async () => {
    expect(await oneLineError(['--mirror', '/nonexistent', 'generate', '--prompt', 'hi'])).toBe(
      'trbench: --mirror /nonexistent: folder does not exist',
    );
    const emptyCache = path.join(mkdtempSync(path.join(tmpdir(), 'trbench-msg-')), 'cache');
    expect(await oneLineError(['generate', '--prompt', 'hi'], { TRBENCH_MIRROR: '/nonexistent', TRBENCH_CACHE: emptyCache })).toBe(
      'trbench: mirror folder /nonexistent (--mirror or TRBENCH_MIRROR) does not exist or is not a folder',
    );
  });

  it('--version prints the version and the commit', async () => {
    const r = await trbench(['--version']);
    expect(r.code).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(r.stdout.trim()).toMatch(new RegExp(`^trbench ${version.replace(/\./g, '\\.')} \\((git [0-9a-f]{12}|not a git checkout)`));
  });
});

describe('output formats', () => {
  it('the planned-runs line is information, not an error', () => {
    let text = '';
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        text += chunk;
        done();
      },
    });
    const p = lineProgress(sink);
    p.start(64, 0);
    expect(text).toBe('64 question runs planned\n');
  });

  it('generate marks where the prompt ends on a colour terminal, and prints the continuation alone elsewhere', () => {
    expect(renderGenerateText('Once upon a time', ', there was', true)).toBe('\x1b[2mOnce upon a time\x1b[22m, there was\n');
    expect(renderGenerateText('Once upon a time', ', there was', false)).toBe(', there was\n');
    expect(renderGenerateText('', 'Once', true)).toBe('Once\n');
  });

  it('every dependency with an install script is decided in allowScripts', () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
    const allow = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).allowScripts as Record<string, boolean>;
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([k]) => k.replace(/^.*node_modules\//, ''));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allow))).toEqual([]);
  });
});
