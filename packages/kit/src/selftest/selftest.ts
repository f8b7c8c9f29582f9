// `npm run kit:selftest [-- --work DIR] [--budget-min M] [--libllama-dir DIR] [--no-build] [--keep]`:
// builds the kit, copies it into an empty temporary folder and runs `kit/run.sh --cpu` there with no
// node/npm/npx on PATH, an empty environment and, where `unshare -n` works (root), no network; then checks
// that it produced a report. --work reuses a build folder (a CPU build of libllama takes 10+ minutes on a
// loaded 2-core machine); --libllama-dir skips the build (e.g. node-llama-cpp's prebuilt CPU folder).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import { buildKit } from '../build/build-kit.ts';

const FORBIDDEN = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack', 'tsx', 'yarn', 'pnpm']);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** A PATH folder with links to every program on PATH except Node.js and its package managers. */
function pathWithoutNode(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const folder of (process.env.PATH ?? '').split(':')) {
    if (!folder || !existsSync(folder) || folder.includes('node_modules')) continue;
    for (const name of readdirSync(folder)) {
      if (FORBIDDEN.has(name) || existsSync(path.join(dir, name))) continue;
      const full = path.join(folder, name);
      try {
        if (statSync(full).isFile()) symlinkSync(full, path.join(dir, name));
      } catch {
        // dangling link or unreadable: not needed
      }
    }
  }
  return dir;
}

function canUnshareNetwork(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

const t0 = Date.now();
const seconds = () => ((Date.now() - t0) / 1000).toFixed(0);
const kitDir = path.join(repoRoot, 'kit');
if (!process.argv.includes('--no-build')) await buildKit({ repoRoot });
else if (!existsSync(path.join(kitDir, 'run.sh'))) throw new Error('--no-build, but there is no kit/: run `npm run kit` first');
const buildSeconds = seconds();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'trbench-kit-selftest-'));
cpSync(kitDir, path.join(tmp, 'kit'), { recursive: true, filter: (src) => path.relative(kitDir, src) !== 'work' });
const bin = pathWithoutNode(path.join(tmp, 'bin'));
const noNode = spawnSync('bash', ['-c', 'command -v node npm npx'], { env: { PATH: bin } })
  .stdout.toString()
  .trim();
if (noNode !== '') throw new Error(`the self-test PATH still has ${noNode}`);
const isolate = canUnshareNetwork();
const work = option('work') ? path.resolve(option('work') as string) : path.join(tmp, 'work');
const out = path.join(tmp, 'out');
const args = [path.join(tmp, 'kit', 'run.sh'), '--cpu', '--out', out, '--work', work, '--budget-min', option('budget-min') ?? '30'];
if (option('libllama-dir')) args.push('--libllama-dir', path.resolve(option('libllama-dir') as string));
if (option('jobs')) args.push('--jobs', option('jobs') as string);
const command = isolate ? ['unshare', '-n', 'bash', ...args] : ['bash', ...args];
process.stderr.write(
  `kit:selftest: kit built in ${buildSeconds} s; running it in ${tmp} with no node on PATH, ` +
    `${isolate ? 'no network (unshare -n)' : 'the network still up (unshare -n does not work here: not root?)'}\n`,
);
const r0 = Date.now();
const run = spawnSync(command[0], command.slice(1), {
  cwd: tmp,
  stdio: 'inherit',
  env: { PATH: bin, HOME: tmp, LANG: 'C.UTF-8', TMPDIR: tmp },
});
const runSeconds = ((Date.now() - r0) / 1000).toFixed(0);
const report = path.join(out, 'report.md');
const ok = run.status === 0 && existsSync(report) && existsSync(path.join(out, 'summary.json'));
const summary = existsSync(path.join(out, 'summary.json')) ? JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) : null;
const steps = (summary?.steps ?? []) as { step: string; status: string; seconds: number }[];
process.stderr.write(
  `\nkit:selftest: run.sh exit ${run.status}, ${runSeconds} s (${steps.map((s) => `${s.step} ${s.status} ${s.seconds} s`).join(', ')}); ` +
    `report ${existsSync(report) ? report : 'MISSING'}; total ${seconds()} s\n`,
);
const failed = steps.filter((s) => s.status === 'failed').map((s) => s.step);
if (failed.length > 0) process.stderr.write(`kit:selftest: failed steps: ${failed.join(', ')}\n`);
if (!process.argv.includes('--keep') && ok && failed.length === 0) {
  const last = path.join(repoRoot, '.cache', 'trbench', 'kit-selftest-last-out');
  rmSync(last, { recursive: true, force: true });
  execFileSync('cp', ['-r', out, last]);
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`kit:selftest: results copied to .cache/trbench/kit-selftest-last-out\n`);
}
process.exitCode = ok && failed.length === 0 ? 0 : 1;
