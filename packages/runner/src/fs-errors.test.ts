// File-system failures as a user meets them: one line naming the path and the real cause, exit 2, and
// nothing half-written. Read-only folders and a full disk are real: a tmpfs or a read-only bind mount in a
// private mount namespace (`unshare -m`, needs root or user namespaces; skipped where unavailable).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from './sweep/records.ts';
import { type CliResult, TRBENCH_BIN, trbench } from './testing/cli.ts';

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

let work: string;
let config: string;
/** A finished run folder to make read-only. */
let done: string;

const canMount =
  process.platform === 'linux' &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'])
    .status === 0;

/** `trbench ...args` in a private mount namespace after the shell commands in `setup`. */
function trbenchMounted(setup: string, args: string[]): Promise<CliResult> {
  const child = spawn('unshare', ['-m', 'sh', '-c', `${setup} && exec "$0" "$@"`, process.execPath, TRBENCH_BIN, ...args], {
    env: { ...process.env, CI: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function expectOneLine(r: CliResult, pattern: RegExp) {
  expect(r.signal).toBeNull();
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.code).toBe(2);
}

/** Every file under `dir` (relative), to see that a failed command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = path.join(e.parentPath, e.name);
    out[path.relative(dir, f)] = readFileSync(f).toString('base64');
  }
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'trbench-fs-'));
  config = path.join(work, 'tiny.yaml');
  writeFileSync(config, CONFIG);
  const r = await trbench(['run', config, '--out', path.join(work, 'runs')]);
  expect(r.code).toBe(0);
  done = path.join(work, 'runs', 'tiny');
}, 300_000);

describe('file-system errors: one line with the path and the real cause, exit 2', () => {
  it('--out pointing at a file (ENOTDIR)', { timeout: 120_000 }, async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const r = await trbench(['run', config, '--out', file]);
    expectOneLine(r, new RegExp(`^trbench: cannot create folder ${file}/tiny: ${file} is a file, not a folder \\(ENOTDIR\\)$`));
  });

  it.runIf(canMount)('--out on a read-only mount (mkdir says ENOENT there)', { timeout: 120_000 }, async () => {
    const ro = path.join(work, 'ro');
    mkdirSync(ro);
    const r = await trbenchMounted(`mount -t tmpfs -o size=64k tmpfs ${ro} && mount -o remount,ro ${ro}`, [
      'run',
      config,
      '--out',
      `${ro}/runs`,
    ]);
    expectOneLine(r, new RegExp(`^trbench: cannot create folder ${ro}/runs/tiny: ${ro} is on a read-only file system \\(EROFS\\)$`));
  });

  for (const [what, args] of [
    ['--resume', ['run', '--resume']],
    ['--overwrite', ['run', '--overwrite']],
    ['report', ['report']],
    ['a new run', ['run']],
  ] as const) {
    it.runIf(canMount)(`${what} of a read-only run folder (EROFS)`, { timeout: 120_000 }, async () => {
      const before = snapshot(done);
      const cli = args[0] === 'report' ? ['report', done] : ['run', config, '--out', path.dirname(done), ...args.slice(1)];
      const r = await trbenchMounted(`mount --bind ${done} ${done} && mount -o remount,bind,ro ${done}`, cli);
      expectOneLine(r, /read-only file system \(EROFS\)$/);
      expect(r.stderr).toContain(done);
      expect(snapshot(done)).toEqual(before);
    });
  }

  it.runIf(canMount)('a full disk (ENOSPC) while writing the charts: records kept, no partial file', { timeout: 300_000 }, async () => {
    const full = path.join(work, 'full');
    mkdirSync(full);
    // 64 KiB: the run's records fit, its three charts (~28 KiB each) do not.
    const keep = path.join(work, 'full-copy');
    const r = await trbenchMounted(`mount -t tmpfs -o size=64k tmpfs ${full}`, ['run', config, '--out', full]);
    expectOneLine(r, new RegExp(`^trbench: cannot write ${full}/tiny/\\S+: no space left on device \\(ENOSPC\\)$`));
    // The tmpfs is gone with the namespace; run again, copying out what was left, to inspect it.
    const inspect = await trbenchMounted(
      `mount -t tmpfs -o size=64k tmpfs ${full} && { "$0" "$@" >/dev/null 2>&1; cp -r ${full}/tiny ${keep}; exit 0; }`,
      ['run', config, '--out', full],
    );
    expect(inspect.code).toBe(0);
    const left = readdirSync(keep, { recursive: true }).map(String);
    expect(left.filter((f) => f.includes('.tmp-'))).toEqual([]);
    const { records, partialTail } = readRecords(path.join(keep, 'records.jsonl'));
    expect({ records: records.length, partialTail }).toEqual({
      records: readRecords(path.join(done, 'records.jsonl')).records.length,
      partialTail: 0,
    });
    for (const png of left.filter((f) => f.endsWith('.png'))) {
      const bytes = readFileSync(path.join(keep, png));
      expect(bytes.subarray(bytes.length - 8).toString('latin1')).toContain('IEND'); // whole files only
    }
    expect(existsSync(path.join(keep, 'summary.json'))).toBe(false);
  });
});
