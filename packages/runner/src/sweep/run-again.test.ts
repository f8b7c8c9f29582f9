// Running the same sweep again (the quick start's `npm run bench` twice): without a flag the existing run
// is kept and the message names every way on; `--overwrite` (what `npm run bench` passes) replaces it
// after saying so.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trbench } from '../testing/cli.ts';

const CONFIG = `
maxNewTokens: 4
warmup: 0
models:
  - model: stories260K
datasets:
  - dataset: stories
    limit: 2
methods:
  - method: pld
`;

describe('running a sweep again', () => {
  it('refuses without a flag (naming --resume, --overwrite and --name) and replaces with --overwrite', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'trbench-again-'));
    const config = path.join(out, 'again.yaml');
    writeFileSync(config, CONFIG);
    expect((await trbench(['run', config, '--out', out, '--overwrite'])).code).toBe(0); // nothing to replace yet
    const first = JSON.parse(readFileSync(path.join(out, 'again', 'run.json'), 'utf8'));

    const refused = await trbench(['run', config, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `trbench: ${path.join(out, 'again')} already holds a run with 4 records: pass --resume to continue it, --overwrite to replace it, or --name to start another`,
    ]);

    const again = await trbench(['run', config, '--out', out, '--overwrite']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`replacing the earlier run in ${path.join(out, 'again')} (4 records; --overwrite)`);
    const second = JSON.parse(readFileSync(path.join(out, 'again', 'run.json'), 'utf8'));
    expect(second.createdAt).not.toBe(first.createdAt);
    expect(second.sessions).toHaveLength(1);
  });

  it('npm run bench replaces the default run', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', '..', '..', 'package.json'), 'utf8'));
    expect(pkg.scripts.bench).toBe('trbench run configs/default.yaml --overwrite');
  });
});
