import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, type GgufHeader, readGgufHeader, repoRoot, sha256File } from '@trbench/assets';
import { describeInterruption, TrbenchError, throwIfInterrupted } from '@trbench/core';

/**
 * `trbench convert --hf DIR`: a Hugging Face checkpoint becomes a GGUF through llama.cpp's own converter
 * (`convert_hf_to_gguf.py`, its `conversion/` package and `gguf-py`), taken from the llama.cpp source that
 * the pinned node-llama-cpp ships as a git bundle. trbench does not rewrite the converter: it finds it,
 * checks that Python can run it, passes the arguments, and reads back what it wrote.
 */

/** The converter's files in llama.cpp's tree (`conversion/` exists only in newer releases). */
export const CONVERTER_PATHS = ['convert_hf_to_gguf.py', 'conversion', 'gguf-py', 'LICENSE'] as const;

/** The script itself, relative to the converter folder. */
export const CONVERTER_SCRIPT = 'convert_hf_to_gguf.py';

/** Python packages the converter imports at start (transformers for AutoConfig, torch for the weights). */
export const CONVERTER_PYTHON_PACKAGES = ['torch', 'transformers', 'sentencepiece', 'safetensors', 'numpy'] as const;

/** Output types trbench offers (the converter's `--outtype`; llama.cpp quantises further with its own tools). */
export const CONVERT_TYPES = ['f16', 'bf16', 'q8_0'] as const;
export type ConvertType = (typeof CONVERT_TYPES)[number];

/** Environment variable naming a folder that holds `convert_hf_to_gguf.py` (the kit sets it to its carried copy). */
export const CONVERTER_ENV = 'TRBENCH_LLAMA_CONVERTER';

/** Where the converter was found. */
export interface ConverterLocation {
  dir: string;
  script: string;
  /** `env`: TRBENCH_LLAMA_CONVERTER; `cache`: extracted from node-llama-cpp's bundle into the cache. */
  origin: 'env' | 'cache';
  /** Commit of the bundle it came from, when known. */
  commit?: string;
}

/** node-llama-cpp's git bundle of the pinned llama.cpp source. */
export function llamaSourceBundle(root: string = repoRoot): string {
  return path.join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
}

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 2 ** 20 }).toString();
}

/**
 * Extracts the converter's files from `bundle` into `dest` the way `scripts/abi-table.sh` reads headers
 * from it (clone without checkout, check out only the paths needed), into a temporary folder renamed into
 * place, so an interrupted extraction leaves nothing. Returns the bundle's commit.
 */
export function extractConverter(bundle: string, dest: string): string {
  if (!existsSync(bundle))
    throw new TrbenchError(`llama.cpp's source bundle ${bundle} is missing: run npm ci (node-llama-cpp ships it), or set ${CONVERTER_ENV}`);
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = mkdtempSync(`${dest}.tmp-`);
  try {
    const src = path.join(tmp, 'src');
    git(['clone', '--quiet', '--no-checkout', bundle, src]);
    const commit = git(['rev-parse', 'HEAD'], src).trim();
    const present = git(['ls-tree', '--name-only', 'HEAD'], src).split('\n');
    const paths = CONVERTER_PATHS.filter((p) => present.includes(p));
    if (!paths.includes(CONVERTER_SCRIPT))
      throw new TrbenchError(`llama.cpp's source bundle ${bundle} (commit ${commit}) has no ${CONVERTER_SCRIPT}`);
    git(['checkout', '--quiet', 'HEAD', '--', ...paths], src);
    rmSync(path.join(src, '.git'), { recursive: true, force: true });
    writeFileSync(path.join(src, 'converter.json'), `${JSON.stringify({ commit, bundle: path.basename(bundle), paths }, null, 2)}\n`);
    renameSync(src, dest);
    return commit;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Finds llama.cpp's converter: `TRBENCH_LLAMA_CONVERTER` when set (it must hold the script), otherwise the
 * copy extracted from node-llama-cpp's bundle into `<cache>/llama-converter/<commit>` (once; keyed by the
 * bundle's size and mtime so that a new node-llama-cpp gets its own copy).
 */
export function locateConverter(env: NodeJS.ProcessEnv = process.env, bundle: string = llamaSourceBundle()): ConverterLocation {
  const fromEnv = env[CONVERTER_ENV];
  if (fromEnv) {
    const dir = path.resolve(fromEnv);
    const script = path.join(dir, CONVERTER_SCRIPT);
    if (!existsSync(script)) throw new TrbenchError(`${CONVERTER_ENV}=${fromEnv}: no ${CONVERTER_SCRIPT} in ${dir}`);
    return { dir, script, origin: 'env', ...readCommit(dir) };
  }
  if (!existsSync(bundle))
    throw new TrbenchError(`llama.cpp's source bundle ${bundle} is missing: run npm ci (node-llama-cpp ships it), or set ${CONVERTER_ENV}`);
  const st = statSync(bundle);
  const dir = path.join(cacheDir(), 'llama-converter', `bundle-${st.size}-${Math.trunc(st.mtimeMs)}`);
  if (!existsSync(path.join(dir, CONVERTER_SCRIPT))) {
    rmSync(dir, { recursive: true, force: true });
    extractConverter(bundle, dir);
  }
  return { dir, script: path.join(dir, CONVERTER_SCRIPT), origin: 'cache', ...readCommit(dir) };
}

function readCommit(dir: string): { commit?: string } {
  try {
    const info = JSON.parse(readFileSync(path.join(dir, 'converter.json'), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' ? { commit: info.commit } : {};
  } catch {
    return {};
  }
}

const CHECK_SCRIPT = `
import importlib, json, sys
missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        missing.append(name)
print(json.dumps({"missing": missing, "python": sys.version.split()[0], "executable": sys.executable}))
`;

/** What `checkConverterPython` found. */
export interface PythonCheck {
  python: string;
  version: string;
  executable: string;
  missing: string[];
}

/**
 * Imports each package the converter needs in `python` (a command on PATH or a path) and returns the ones
 * that fail. Throws when `python` does not run or does not answer as a Python 3 interpreter would.
 */
export function checkConverterPython(python: string, packages: readonly string[] = CONVERTER_PYTHON_PACKAGES): PythonCheck {
  const r = spawnSync(python, ['-c', CHECK_SCRIPT, ...packages], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new TrbenchError(
      `cannot run Python ${JSON.stringify(python)} (${code === 'ENOENT' ? 'not found' : (code ?? r.error.message)}): install Python 3 or pass --python PATH`,
    );
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: { missing?: unknown; python?: unknown; executable?: unknown };
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new TrbenchError(
      `${python} did not answer the package check (exit ${r.status}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').pop()}` : ''}): expected a Python 3 interpreter`,
    );
  }
  if (!Array.isArray(parsed.missing)) throw new TrbenchError(`${python} answered the package check with ${JSON.stringify(last)}`);
  return {
    python,
    version: String(parsed.python),
    executable: String(parsed.executable),
    missing: parsed.missing.map(String),
  };
}

/** The one-line error for missing packages (exit 2). */
export function missingPackagesError(check: PythonCheck): TrbenchError {
  return new TrbenchError(
    `llama.cpp's converter needs Python packages that ${check.executable} (Python ${check.version}) cannot import: ${check.missing.join(', ')} ` +
      `(install them, e.g. pip install ${check.missing.join(' ')}, or pass --python PATH)`,
  );
}

/** Arguments of the converter for one conversion (the converter's own flags). */
export function converterArgs(script: string, hfDir: string, outFile: string, type: ConvertType): string[] {
  return [script, hfDir, '--outfile', outFile, '--outtype', type];
}

/** Checks that `dir` looks like a Hugging Face checkpoint the converter can read (config and weights). */
export function assertHfCheckpoint(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TrbenchError(`--hf ${dir}: not a folder`);
  if (!existsSync(path.join(dir, 'config.json')))
    throw new TrbenchError(`--hf ${dir}: no config.json (expected a Hugging Face checkpoint folder)`);
  const weights = readdirSync(dir).filter((f) => /\.safetensors$|^pytorch_model.*\.bin$|^consolidated.*\.pth$/.test(f));
  if (weights.length === 0) throw new TrbenchError(`--hf ${dir}: no weights (*.safetensors or pytorch_model*.bin) next to config.json`);
}

/** What a conversion wrote. */
export interface ConvertResult {
  out: string;
  bytes: number;
  sha256: string;
  architecture: string | null;
  /** `general.file_type` as llama.cpp numbers it (1 = F16, 7 = Q8_0, 32 = BF16). */
  fileType: number | null;
  tensors: number;
  vocabSize: number | null;
  contextLength: number | null;
  converter: ConverterLocation;
  python: PythonCheck;
  seconds: number;
}

function scalar(header: GgufHeader, key: string): number | string | null {
  const v = header.metadata.get(key);
  if (!v) return null;
  if (typeof v.value === 'number' || typeof v.value === 'string') return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  return null;
}

/** What a finished GGUF holds, read back through trbench's own GGUF reader. */
export function describeConverted(
  file: string,
): Pick<ConvertResult, 'architecture' | 'fileType' | 'tensors' | 'vocabSize' | 'contextLength'> {
  const header = readGgufHeader(file);
  const arch = scalar(header, 'general.architecture');
  const archName = typeof arch === 'string' ? arch : null;
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  const ctx = archName ? scalar(header, `${archName}.context_length`) : null;
  const ft = scalar(header, 'general.file_type');
  return {
    architecture: archName,
    fileType: typeof ft === 'number' ? ft : null,
    tensors: header.tensors.length,
    vocabSize: tokens && Array.isArray(tokens.value) ? tokens.value.length : null,
    contextLength: typeof ctx === 'number' ? ctx : null,
  };
}

export interface ConvertOptions {
  hf: string;
  out: string;
  type?: ConvertType;
  /** Python interpreter (default `python3`). */
  python?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Where the converter's own output goes (default: this process's stderr). */
  log?: NodeJS.WritableStream;
}

/**
 * Converts a Hugging Face checkpoint to `out` with llama.cpp's converter: finds the converter, checks the
 * Python packages first (one line naming every missing one), runs the converter into a temporary file
 * next to `out` and renames it into place once it exited 0 and trbench's GGUF reader accepts it, then
 * returns the file's sha256 and what its header says.
 */
export async function convertHf(options: ConvertOptions): Promise<ConvertResult> {
  const t0 = performance.now();
  const type = options.type ?? 'f16';
  if (!(CONVERT_TYPES as readonly string[]).includes(type))
    throw new TrbenchError(`--type ${JSON.stringify(type)}: expected one of ${CONVERT_TYPES.join(', ')}`);
  const hf = path.resolve(options.hf);
  const out = path.resolve(options.out);
  if (!out.endsWith('.gguf')) throw new TrbenchError(`--out ${options.out}: expected a file name ending in .gguf`);
  if (!existsSync(path.dirname(out))) throw new TrbenchError(`--out ${options.out}: folder ${path.dirname(out)} does not exist`);
  assertHfCheckpoint(hf);
  const converter = locateConverter(options.env ?? process.env);
  const python = checkConverterPython(options.python ?? 'python3');
  if (python.missing.length > 0) throw missingPackagesError(python);
  const tmp = `${out}.partial-${process.pid}.gguf`;
  const log = options.log ?? process.stderr;
  try {
    await describeInterruption(`converting ${hf} with llama.cpp's converter`, `nothing was written to ${out}`, () =>
      runConverter(python.python, converterArgs(converter.script, hf, tmp, type), converter.dir, log, options.signal, options.env),
    );
    if (!existsSync(tmp)) throw new TrbenchError(`llama.cpp's converter exited 0 but wrote no ${tmp}`);
    const described = describeConverted(tmp);
    renameSync(tmp, out);
    return {
      out,
      bytes: statSync(out).size,
      sha256: await sha256File(out),
      ...described,
      converter,
      python,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    rmSync(tmp, { force: true });
  }
}

function runConverter(
  python: string,
  args: string[],
  cwd: string,
  log: NodeJS.WritableStream,
  signal: AbortSignal | undefined,
  env: NodeJS.ProcessEnv | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let tail = '';
    const child: ChildProcess = spawn(python, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const forward = (d: Buffer) => {
      log.write(d);
      tail = (tail + d.toString()).slice(-2000);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => reject(new TrbenchError(`cannot run ${python}: ${err.message}`)));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        try {
          throwIfInterrupted(signal);
        } catch (err) {
          return reject(err);
        }
      }
      if (code === 0) return resolve();
      const last = tail.trim().split('\n').pop() ?? '';
      reject(new TrbenchError(`llama.cpp's converter failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${last}`));
    });
  });
}
