// `npm run kit:selftest [-- --work DIR] [--budget-min M] [--libllama-dir DIR] [--no-build] [--keep]`:
// builds the kit, copies it into an empty temporary folder and runs `kit/run.sh --cpu` there with no
// node/npm/npx on PATH, an empty environment and, where `unshare -n` works (root), no network; then checks
// that it produced a report. --work reuses a build folder (a CPU build of libllama takes 10+ minutes on a
// loaded 2-core machine); --libllama-dir skips the build (e.g. node-llama-cpp's prebuilt CPU folder).
// A second call (the same work folder: the build is reused) runs the user's path: `--model` with stories260K's
// GGUF copied in as a plain file and `--config` with a small sweep config that takes it from TRBENCH_MODEL.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, resolveModel, sha256File } from '@trbench/assets';
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
const env = { PATH: bin, HOME: tmp, LANG: 'C.UTF-8', TMPDIR: tmp };
const r0 = Date.now();
const run = spawnSync(command[0], command.slice(1), { cwd: tmp, stdio: 'inherit', env });
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

// The user's path: a GGUF given by file and a config of the user's, in the same work folder (build reused).
const userDir = path.join(tmp, 'user');
mkdirSync(userDir, { recursive: true });
const userModel = path.join(userDir, 'stories260K.gguf');
copyFileSync((await resolveModel('stories260K')).path, userModel);
const userConfig = path.join(userDir, 'selftest.yaml');
writeFileSync(
  userConfig,
  [
    '# kit self-test: the model from run.sh --model (TRBENCH_MODEL), the device run.sh chose (TRBENCH_DEVICE)',
    'name: selftest-user',
    'maxNewTokens: 32',
    'warmup: 1',
    'models:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config value with an environment reference
    '  - model: ${TRBENCH_MODEL}',
    '    id: user-model',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config value with an environment reference
    '    device: ${TRBENCH_DEVICE:-cpu}',
    'datasets:',
    '  - dataset: spec-bench',
    '    subset: [translation, qa]',
    '    limit: 2',
    '  - dataset: stories',
    '    limit: 2',
    'methods:',
    '  - method: tr',
    '  - method: pld',
    '  - method: suffix',
    '',
  ].join('\n'),
);
const out2 = path.join(tmp, 'out-user');
const args2 = [path.join(tmp, 'kit', 'run.sh'), '--cpu', '--model', userModel, '--config', userConfig, '--out', out2, '--work', work];
args2.push('--budget-min', option('budget-min') ?? '30');
if (option('libllama-dir')) args2.push('--libllama-dir', path.resolve(option('libllama-dir') as string));
if (option('jobs')) args2.push('--jobs', option('jobs') as string);
const command2 = isolate ? ['unshare', '-n', 'bash', ...args2] : ['bash', ...args2];
process.stderr.write(`\nkit:selftest: second call: run.sh --model ${userModel} --config ${userConfig}\n`);
const u0 = Date.now();
const run2 = spawnSync(command2[0], command2.slice(1), { cwd: tmp, stdio: 'inherit', env });
const userProblems: string[] = [];
const sweepSummary = path.join(out2, 'sweep', 'summary.json');
if (run2.status !== 0) userProblems.push(`run.sh exit ${run2.status}`);
if (!existsSync(sweepSummary)) userProblems.push(`no ${sweepSummary}`);
else {
  const s2 = JSON.parse(readFileSync(sweepSummary, 'utf8')) as {
    rows: {
      subtask: string;
      dataset: string;
      variant: string;
      lossless: { compared: number; identical: number; numeric?: number } | null;
    }[];
  };
  const overall = s2.rows.filter((r) => r.subtask === 'overall');
  const variants = [...new Set(overall.map((r) => r.variant))].sort();
  if (variants.join(',') !== 'ar,pld,suffix,tr') userProblems.push(`sweep variants ${variants.join(',')}, expected ar, pld, suffix, tr`);
  const datasets = [...new Set(overall.map((r) => r.dataset))].sort();
  if (datasets.join(',') !== 'spec-bench,stories') userProblems.push(`sweep datasets ${datasets.join(',')}`);
  for (const r of overall) {
    if (r.lossless && r.lossless.compared - r.lossless.identical > 0)
      userProblems.push(`${r.dataset}/${r.variant} not identical to plain decoding`);
  }
  const records = readFileSync(path.join(out2, 'sweep', 'records.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const shas = new Set(records.map((l) => (JSON.parse(l) as { modelSha256: string }).modelSha256));
  const want = await sha256File(userModel);
  if (shas.size !== 1 || !shas.has(want)) userProblems.push(`records name model sha256 ${[...shas].join(', ')}, expected ${want}`);
  process.stderr.write(
    `kit:selftest: second call ${((Date.now() - u0) / 1000).toFixed(0)} s: ${records.length} records of ${variants.join(', ')} on ${datasets.join(', ')}, model sha256 ${want.slice(0, 12)}…\n`,
  );
}
const steps2 = existsSync(path.join(out2, 'steps.jsonl'))
  ? readFileSync(path.join(out2, 'steps.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: string; status: string })
  : [];
const failed2 = steps2.filter((s) => s.status === 'failed').map((s) => s.step);
if (failed2.length > 0) userProblems.push(`failed steps ${failed2.join(', ')}`);
if (!steps2.some((s) => s.step === 'build' && s.status === 'ok') && !option('libllama-dir'))
  process.stderr.write('kit:selftest: second call: no build step recorded\n');
if (userProblems.length > 0) process.stderr.write(`kit:selftest: --model/--config call: ${userProblems.join('; ')}\n`);

const allOk = ok && failed.length === 0 && userProblems.length === 0;
if (!process.argv.includes('--keep') && allOk) {
  const last = path.join(repoRoot, '.cache', 'trbench', 'kit-selftest-last-out');
  rmSync(last, { recursive: true, force: true });
  execFileSync('cp', ['-r', out, last]);
  execFileSync('cp', ['-r', out2, path.join(last, 'user-model-call')]);
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`kit:selftest: results copied to .cache/trbench/kit-selftest-last-out\n`);
}
process.exitCode = allOk ? 0 : 1;
