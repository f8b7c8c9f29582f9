import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrbenchError } from '@trbench/core';
import koffi, { type LibraryHandle } from 'koffi';
import {
  type ContextParams,
  checkLibraryDefaults,
  checkStructLayouts,
  llama_batch,
  llama_context_params,
  llama_model_params,
  llama_model_quantize_params,
  llama_sampler_chain_params,
  type ModelParams,
  PINNED,
} from './abi.ts';
import { LIBRARY_DIR_ENV, locateLibraryDir } from './library-dir.ts';
import type { GpuChoice, LocatedLibrary, Variant } from './variant.ts';

export type { GpuChoice, Variant } from './variant.ts';

/** The bound C functions of one loaded libllama (process-wide singleton). */
export interface LlamaLibrary {
  variant: Variant;
  binsDir: string;
  /** `node-llama-cpp 3.21.1 / llama.cpp v0.4.0 (cpu)` */
  versionString: string;
  /** Names of the ggml devices registered (e.g. `CPU`, `CUDA0`). */
  devices: string[];
  /** Last error or warning llama.cpp logged (included in thrown errors). */
  lastLog(): string;
  f: ReturnType<typeof bindFunctions>;
}

const GGML_BACKEND_DEVICE_TYPE_GPU = 1;
const GGML_LOG_LEVEL_WARN = 3;

let loaded: LlamaLibrary | null = null;
let keepCallback: unknown = null;

/** Finds `node_modules/<name>` walking up from `from` (packages whose `exports` hide package.json). */
function packageDir(from: string, name: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function platformTag(): string {
  if (process.platform !== 'linux') {
    throw new TrbenchError(`the llama.cpp backend supports Linux only for now (this is ${process.platform}); use --backend onnx`);
  }
  return `linux-${process.arch}`;
}

async function detectGpu(choice: GpuChoice): Promise<Variant> {
  if (choice === false) return 'cpu';
  if (choice === 'cuda' || choice === 'vulkan') return choice;
  const { getLlamaGpuTypes } = await import('node-llama-cpp');
  const supported = await getLlamaGpuTypes('supported');
  if (supported.includes('cuda')) return 'cuda';
  if (supported.includes('vulkan')) return 'vulkan';
  return 'cpu';
}

function bindFunctions(ggml: LibraryHandle, llama: LibraryHandle) {
  return {
    ggml_backend_load_all_from_path: ggml.func('void ggml_backend_load_all_from_path(const char *dir)'),
    ggml_backend_dev_count: ggml.func('size_t ggml_backend_dev_count()'),
    ggml_backend_dev_get: ggml.func('void *ggml_backend_dev_get(size_t index)'),
    ggml_backend_dev_type: ggml.func('int ggml_backend_dev_type(void *dev)'),
    ggml_backend_dev_name: ggml.func('const char *ggml_backend_dev_name(void *dev)'),
    llama_backend_init: llama.func('void llama_backend_init()'),
    llama_log_set: llama.func('void llama_log_set(void *cb, void *user)'),
    llama_max_parallel_sequences: llama.func('size_t llama_max_parallel_sequences()'),
    llama_model_default_params: llama.func('llama_model_default_params', llama_model_params, []),
    llama_context_default_params: llama.func('llama_context_default_params', llama_context_params, []),
    llama_model_load_from_file: llama.func('llama_model_load_from_file', 'void *', ['const char *', llama_model_params]),
    llama_model_free: llama.func('void llama_model_free(void *model)'),
    llama_model_quantize_default_params: llama.func('llama_model_quantize_default_params', llama_model_quantize_params, []),
    llama_model_quantize: llama.func('llama_model_quantize', 'uint32_t', [
      'const char *',
      'const char *',
      koffi.pointer(llama_model_quantize_params),
    ]),
    llama_model_n_ctx_train: llama.func('int32_t llama_model_n_ctx_train(void *model)'),
    llama_init_from_model: llama.func('llama_init_from_model', 'void *', ['void *', llama_context_params]),
    llama_free: llama.func('void llama_free(void *ctx)'),
    llama_n_ctx: llama.func('uint32_t llama_n_ctx(void *ctx)'),
    llama_get_memory: llama.func('void *llama_get_memory(void *ctx)'),
    llama_memory_clear: llama.func('void llama_memory_clear(void *mem, bool data)'),
    llama_memory_seq_rm: llama.func('bool llama_memory_seq_rm(void *mem, int32_t seq, int32_t p0, int32_t p1)'),
    llama_memory_seq_cp: llama.func('void llama_memory_seq_cp(void *mem, int32_t src, int32_t dst, int32_t p0, int32_t p1)'),
    llama_memory_seq_keep: llama.func('void llama_memory_seq_keep(void *mem, int32_t seq)'),
    llama_batch_init: llama.func('llama_batch_init', llama_batch, ['int32_t', 'int32_t', 'int32_t']),
    llama_batch_free: llama.func('llama_batch_free', 'void', [llama_batch]),
    llama_decode: llama.func('llama_decode', 'int32_t', ['void *', llama_batch]),
    llama_get_logits: llama.func('float *llama_get_logits(void *ctx)'),
    /** Same symbol typed as an integer, to notice a reallocated buffer without creating objects. */
    llama_get_logits_address: llama.func('uintptr_t llama_get_logits(void *ctx)'),
    // Backend sampling (experimental in the pinned release): a sampler chain per sequence runs in the graph.
    llama_sampler_chain_default_params: llama.func('llama_sampler_chain_default_params', llama_sampler_chain_params, []),
    llama_sampler_chain_init: llama.func('llama_sampler_chain_init', 'void *', [llama_sampler_chain_params]),
    llama_sampler_chain_add: llama.func('void llama_sampler_chain_add(void *chain, void *smpl)'),
    llama_sampler_init_top_k: llama.func('void *llama_sampler_init_top_k(int32_t k)'),
    llama_sampler_free: llama.func('void llama_sampler_free(void *smpl)'),
    llama_set_sampler: llama.func('bool llama_set_sampler(void *ctx, int32_t seq, void *smpl)'),
    llama_get_sampled_candidates_ith: llama.func('int32_t *llama_get_sampled_candidates_ith(void *ctx, int32_t i)'),
    llama_get_sampled_candidates_count_ith: llama.func('uint32_t llama_get_sampled_candidates_count_ith(void *ctx, int32_t i)'),
    llama_get_sampled_logits_ith: llama.func('float *llama_get_sampled_logits_ith(void *ctx, int32_t i)'),
    llama_get_sampled_logits_count_ith: llama.func('uint32_t llama_get_sampled_logits_count_ith(void *ctx, int32_t i)'),
    /** The getters typed as integers, to locate rows and notice a moved buffer without creating objects. */
    llama_get_sampled_candidates_address: llama.func('uintptr_t llama_get_sampled_candidates_ith(void *ctx, int32_t i)'),
    llama_get_sampled_logits_address: llama.func('uintptr_t llama_get_sampled_logits_ith(void *ctx, int32_t i)'),
    llama_model_get_vocab: llama.func('void *llama_model_get_vocab(void *model)'),
    llama_vocab_n_tokens: llama.func('int32_t llama_vocab_n_tokens(void *vocab)'),
    llama_vocab_eos: llama.func('int32_t llama_vocab_eos(void *vocab)'),
    llama_vocab_is_eog: llama.func('bool llama_vocab_is_eog(void *vocab, int32_t token)'),
    llama_vocab_get_text: llama.func('const char *llama_vocab_get_text(void *vocab, int32_t token)'),
    llama_vocab_get_score: llama.func('float llama_vocab_get_score(void *vocab, int32_t token)'),
    llama_vocab_get_attr: llama.func('int32_t llama_vocab_get_attr(void *vocab, int32_t token)'),
    llama_tokenize: llama.func(
      'int32_t llama_tokenize(void *vocab, const char *text, int32_t len, _Out_ int32_t *tokens, int32_t max, bool add_special, bool parse_special)',
    ),
    llama_detokenize: llama.func(
      'int32_t llama_detokenize(void *vocab, const int32_t *tokens, int32_t n, _Out_ uint8_t *text, int32_t max, bool remove_special, bool unparse_special)',
    ),
  };
}

function readPinnedVersions(root: string | null): { nodeLlamaCpp: string; release: string } {
  if (!root) throw new TrbenchError('node-llama-cpp is not installed; run `npm ci` at the repository root');
  const nodeLlamaCpp = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  const release = JSON.parse(readFileSync(path.join(root, 'llama', 'llama.cpp.info.json'), 'utf8')).tag as string;
  return { nodeLlamaCpp, release };
}

async function locatePrebuilt(gpu: GpuChoice): Promise<LocatedLibrary> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const nlcRoot = packageDir(here, 'node-llama-cpp');
  const versions = readPinnedVersions(nlcRoot);
  if (versions.nodeLlamaCpp !== PINNED.nodeLlamaCpp || versions.release !== PINNED.llamaCppRelease) {
    throw new TrbenchError(
      `node-llama-cpp ${versions.nodeLlamaCpp} (llama.cpp ${versions.release}) is installed, but trbench's FFI layer was generated for ` +
        `node-llama-cpp ${PINNED.nodeLlamaCpp} (llama.cpp ${PINNED.llamaCppRelease}); install the exact pin with \`npm ci\``,
    );
  }
  const variant = await detectGpu(gpu);
  const tag = platformTag();
  const pkg = variant === 'cpu' ? `@node-llama-cpp/${tag}` : `@node-llama-cpp/${tag}-${variant}`;
  const pkgDir = packageDir(nlcRoot as string, pkg);
  if (!pkgDir) throw new TrbenchError(`the prebuilt llama.cpp binaries for ${variant} (${pkg}) are not installed`);
  const binsDir = path.join(pkgDir, 'bins', variant === 'cpu' ? tag : `${tag}-${variant}`);
  const suffix = variant === 'cpu' ? '' : `.${variant}`;
  const ext = variant === 'cpu' ? null : packageDir(nlcRoot as string, `@node-llama-cpp/${tag}-${variant}-ext`);
  return {
    variant,
    binsDir,
    ggmlPath: path.join(binsDir, `libggml${suffix}.${PINNED.libraryVersionTag}.so`),
    llamaPath: path.join(binsDir, `libllama${suffix}.${PINNED.libraryVersionTag}.so`),
    versionString: `node-llama-cpp ${versions.nodeLlamaCpp} / llama.cpp ${versions.release}`,
    backendPlugins: true,
    fallbackPlugins: ext ? path.join(ext, 'bins', `${tag}-${variant}`, 'fallback') : null,
  };
}

/**
 * Loads the pinned libllama through koffi, once per process: node-llama-cpp's prebuilt one, or the one in
 * the folder `TRBENCH_LIBLLAMA_DIR` names (a build of the pinned source, e.g. by the offline kit; see
 * `library-dir.ts`). Refuses any library other than the pinned release, or one whose struct layout
 * disagrees with ours.
 */
export async function loadLlamaLibrary(gpu: GpuChoice = 'auto'): Promise<LlamaLibrary> {
  if (loaded) return loaded;
  checkStructLayouts();
  const given = process.env[LIBRARY_DIR_ENV];
  const located = given ? locateLibraryDir(given, gpu) : await locatePrebuilt(gpu);
  const { variant, binsDir, ggmlPath, llamaPath } = located;
  for (const p of [ggmlPath, llamaPath]) {
    if (!existsSync(p)) throw new TrbenchError(`expected llama.cpp library ${p} is missing (node-llama-cpp ${PINNED.nodeLlamaCpp} layout)`);
  }
  const ggml = koffi.load(ggmlPath);
  const llama = koffi.load(llamaPath);
  const f = bindFunctions(ggml, llama);

  let last = '';
  const logProto = koffi.proto('void trbench_ggml_log(int level, const char *text, void *user)');
  const verbose = process.env.TRBENCH_LLAMA_LOG === '1';
  keepCallback = koffi.register((level: number, text: string) => {
    if (level >= GGML_LOG_LEVEL_WARN && text.trim() !== '') last = text.trim();
    if (verbose) process.stderr.write(text);
  }, koffi.pointer(logProto));
  f.llama_log_set(keepCallback, null);

  if (located.backendPlugins) f.ggml_backend_load_all_from_path(binsDir);
  const gpuDevices = () => {
    const names: string[] = [];
    let gpus = 0;
    const n = Number(f.ggml_backend_dev_count());
    for (let i = 0; i < n; i++) {
      const dev = f.ggml_backend_dev_get(i);
      names.push(f.ggml_backend_dev_name(dev) as string);
      if (f.ggml_backend_dev_type(dev) === GGML_BACKEND_DEVICE_TYPE_GPU) gpus++;
    }
    return { names, gpus };
  };
  let devices = gpuDevices();
  if (variant !== 'cpu' && devices.gpus === 0) {
    // The -ext package carries a build for the older CUDA runtime, as node-llama-cpp falls back to it.
    if (located.fallbackPlugins) f.ggml_backend_load_all_from_path(located.fallbackPlugins);
    devices = gpuDevices();
    if (devices.gpus === 0) {
      throw new TrbenchError(
        `the ${variant} build of llama.cpp found no usable GPU (devices: ${devices.names.join(', ') || 'none'}); ${last}`,
      );
    }
  }
  f.llama_backend_init();

  const diffs = checkLibraryDefaults(f.llama_model_default_params() as ModelParams, f.llama_context_default_params() as ContextParams);
  if (diffs.length > 0) {
    throw new TrbenchError(`refusing ${llamaPath}: its default parameters do not match the pinned ABI (${diffs.join('; ')})`);
  }
  loaded = {
    variant,
    binsDir,
    versionString: located.versionString,
    devices: devices.names,
    lastLog: () => last,
    f,
  };
  return loaded;
}
