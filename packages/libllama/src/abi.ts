import koffi from 'koffi';

/**
 * The C ABI of the libllama that node-llama-cpp 3.21.1 ships (llama.cpp tag v0.4.0).
 *
 * `EXPECTED_LAYOUT` is the output of `packages/libllama/scripts/abi-table.sh`, which compiles
 * `scripts/abi-table.c` against `include/llama.h` of the exact source bundle node-llama-cpp ships
 * (`node_modules/node-llama-cpp/llama/gitRelease.bundle`); `abi.test.ts` re-runs it where a C compiler exists.
 * To bind another struct, add it to abi-table.c, paste the script's output here, and declare it below.
 * The koffi definitions below are checked against it at start-up, and the library's own default
 * parameters are read back through them (`checkLibraryDefaults`), so a library whose layout differs is
 * refused instead of silently corrupting memory.
 */
export const PINNED = {
  nodeLlamaCpp: '3.21.1',
  llamaCppRelease: 'v0.4.0',
  libraryVersionTag: 'v0.4.0',
} as const;

export const EXPECTED_LAYOUT = {
  llama_model_params: {
    size: 80,
    fields: {
      devices: 0,
      tensor_buft_overrides: 8,
      n_gpu_layers: 16,
      split_mode: 20,
      load_mode: 24,
      lazy_mode: 28,
      main_gpu: 32,
      tensor_split: 40,
      progress_callback: 48,
      progress_callback_user_data: 56,
      kv_overrides: 64,
      vocab_only: 72,
      check_tensors: 73,
      use_extra_bufts: 74,
      no_host: 75,
      no_alloc: 76,
      load_mtp: 77,
    },
  },
  llama_context_params: {
    size: 160,
    fields: {
      n_ctx: 0,
      n_batch: 4,
      n_ubatch: 8,
      n_seq_max: 12,
      n_rs_seq: 16,
      n_outputs_max: 20,
      n_outputs_max_per_seq: 24,
      n_threads: 28,
      n_threads_batch: 32,
      ctx_type: 36,
      rope_scaling_type: 40,
      pooling_type: 44,
      attention_type: 48,
      flash_attn_type: 52,
      rope_freq_base: 56,
      rope_freq_scale: 60,
      yarn_ext_factor: 64,
      yarn_attn_factor: 68,
      yarn_beta_fast: 72,
      yarn_beta_slow: 76,
      yarn_orig_ctx: 80,
      defrag_thold: 84,
      cb_eval: 88,
      cb_eval_user_data: 96,
      type_k: 104,
      type_v: 108,
      abort_callback: 112,
      abort_callback_data: 120,
      embeddings: 128,
      offload_kqv: 129,
      no_perf: 130,
      op_offload: 131,
      swa_full: 132,
      kv_unified: 133,
      samplers: 136,
      n_samplers: 144,
      ctx_other: 152,
    },
  },
  llama_batch: {
    size: 56,
    fields: {
      n_tokens: 0,
      token: 8,
      embd: 16,
      pos: 24,
      n_seq_id: 32,
      seq_id: 40,
      logits: 48,
    },
  },
  llama_sampler_seq_config: {
    size: 16,
    fields: {
      seq_id: 0,
      sampler: 8,
    },
  },
  llama_sampler_chain_params: {
    size: 1,
    fields: {
      no_perf: 0,
    },
  },
  llama_model_quantize_params: {
    size: 64,
    fields: {
      nthread: 0,
      ftype: 4,
      output_tensor_type: 8,
      token_embedding_type: 12,
      allow_requantize: 16,
      quantize_output_tensor: 17,
      only_copy: 18,
      pure: 19,
      keep_split: 20,
      dry_run: 21,
      imatrix: 24,
      kv_overrides: 32,
      tt_overrides: 40,
      prune_layers: 48,
      max_buf_size: 56,
    },
  },
} as const;

export const llama_model_params = koffi.struct('llama_model_params', {
  devices: 'void *',
  tensor_buft_overrides: 'void *',
  n_gpu_layers: 'int32_t',
  split_mode: 'int32_t',
  load_mode: 'int32_t',
  lazy_mode: 'int32_t',
  main_gpu: 'int32_t',
  tensor_split: 'void *',
  progress_callback: 'void *',
  progress_callback_user_data: 'void *',
  kv_overrides: 'void *',
  vocab_only: 'bool',
  check_tensors: 'bool',
  use_extra_bufts: 'bool',
  no_host: 'bool',
  no_alloc: 'bool',
  load_mtp: 'bool',
});

export const llama_context_params = koffi.struct('llama_context_params', {
  n_ctx: 'uint32_t',
  n_batch: 'uint32_t',
  n_ubatch: 'uint32_t',
  n_seq_max: 'uint32_t',
  n_rs_seq: 'uint32_t',
  n_outputs_max: 'uint32_t',
  n_outputs_max_per_seq: 'uint32_t',
  n_threads: 'int32_t',
  n_threads_batch: 'int32_t',
  ctx_type: 'int32_t',
  rope_scaling_type: 'int32_t',
  pooling_type: 'int32_t',
  attention_type: 'int32_t',
  flash_attn_type: 'int32_t',
  rope_freq_base: 'float',
  rope_freq_scale: 'float',
  yarn_ext_factor: 'float',
  yarn_attn_factor: 'float',
  yarn_beta_fast: 'float',
  yarn_beta_slow: 'float',
  yarn_orig_ctx: 'uint32_t',
  defrag_thold: 'float',
  cb_eval: 'void *',
  cb_eval_user_data: 'void *',
  type_k: 'int32_t',
  type_v: 'int32_t',
  abort_callback: 'void *',
  abort_callback_data: 'void *',
  embeddings: 'bool',
  offload_kqv: 'bool',
  no_perf: 'bool',
  op_offload: 'bool',
  swa_full: 'bool',
  kv_unified: 'bool',
  samplers: 'void *',
  n_samplers: 'size_t',
  ctx_other: 'void *',
});

export const llama_batch = koffi.struct('llama_batch', {
  n_tokens: 'int32_t',
  token: 'int32_t *',
  embd: 'float *',
  pos: 'int32_t *',
  n_seq_id: 'int32_t *',
  seq_id: 'int32_t **',
  logits: 'int8_t *',
});

/** One entry of `llama_context_params.samplers`: the backend sampler chain of one sequence id. */
export const llama_sampler_seq_config = koffi.struct('llama_sampler_seq_config', {
  seq_id: 'int32_t',
  sampler: 'void *',
});

export const llama_sampler_chain_params = koffi.struct('llama_sampler_chain_params', {
  no_perf: 'bool',
});

/** `llama_model_quantize`'s parameters (the library's own quantiser, as `llama-quantize` calls it). */
export const llama_model_quantize_params = koffi.struct('llama_model_quantize_params', {
  nthread: 'int32_t',
  ftype: 'int32_t',
  output_tensor_type: 'int32_t',
  token_embedding_type: 'int32_t',
  allow_requantize: 'bool',
  quantize_output_tensor: 'bool',
  only_copy: 'bool',
  pure: 'bool',
  keep_split: 'bool',
  dry_run: 'bool',
  imatrix: 'void *',
  kv_overrides: 'void *',
  tt_overrides: 'void *',
  prune_layers: 'void *',
  max_buf_size: 'size_t',
});

export type QuantizeParams = Record<keyof typeof EXPECTED_LAYOUT.llama_model_quantize_params.fields, number | boolean | unknown>;

/** Shape of the JS object koffi produces for a `llama_batch` by value. */
export interface LlamaBatch {
  n_tokens: number;
  token: unknown;
  embd: unknown;
  pos: unknown;
  n_seq_id: unknown;
  seq_id: unknown;
  logits: unknown;
}

export type ContextParams = Record<keyof typeof EXPECTED_LAYOUT.llama_context_params.fields, number | boolean | unknown>;
export type ModelParams = Record<keyof typeof EXPECTED_LAYOUT.llama_model_params.fields, number | boolean | unknown>;

/** ggml type ids used for the KV cache. */
export const GGML_TYPE = { F32: 0, F16: 1 } as const;

/** Throws when koffi's view of a struct differs from the table generated from the pinned headers. */
export function checkStructLayouts(): void {
  const types = {
    llama_model_params,
    llama_context_params,
    llama_batch,
    llama_sampler_seq_config,
    llama_sampler_chain_params,
    llama_model_quantize_params,
  } as const;
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(EXPECTED_LAYOUT)) {
    const type = types[name as keyof typeof types];
    const size = koffi.sizeof(type);
    if (size !== expected.size) problems.push(`sizeof(${name}) = ${size}, expected ${expected.size}`);
    for (const [field, offset] of Object.entries(expected.fields)) {
      const actual = koffi.offsetof(type, field);
      if (actual !== offset) problems.push(`offsetof(${name}, ${field}) = ${actual}, expected ${offset}`);
    }
  }
  if (problems.length > 0) throw new Error(`llama.cpp ABI table mismatch: ${problems.join('; ')}`);
}

/**
 * Reads the library's default parameters through our layout and compares them with the values the
 * pinned source sets. A library built from other headers yields different bytes at these offsets.
 */
export function checkLibraryDefaults(model: ModelParams, context: ContextParams): string[] {
  const expectModel: Partial<Record<keyof ModelParams, unknown>> = {
    n_gpu_layers: -1,
    split_mode: 1,
    main_gpu: 0,
    vocab_only: false,
    check_tensors: false,
    use_extra_bufts: true,
    no_host: false,
    no_alloc: false,
    load_mtp: false,
  };
  const expectContext: Partial<Record<keyof ContextParams, unknown>> = {
    n_ctx: 512,
    n_batch: 2048,
    n_ubatch: 512,
    n_seq_max: 1,
    n_rs_seq: 0,
    n_outputs_max: 0,
    n_outputs_max_per_seq: 1,
    rope_freq_base: 0,
    yarn_ext_factor: -1,
    defrag_thold: -1,
    type_k: GGML_TYPE.F16,
    type_v: GGML_TYPE.F16,
    embeddings: false,
    offload_kqv: true,
    kv_unified: false,
    n_samplers: 0,
  };
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(expectModel)) {
    if (model[k as keyof ModelParams] !== v)
      diffs.push(`llama_model_params.${k} = ${String(model[k as keyof ModelParams])}, expected ${String(v)}`);
  }
  for (const [k, v] of Object.entries(expectContext)) {
    const actual = context[k as keyof ContextParams];
    if (Number(actual) !== Number(v) && actual !== v) diffs.push(`llama_context_params.${k} = ${String(actual)}, expected ${String(v)}`);
  }
  return diffs;
}

/** `GGML_TYPE_COUNT` of the pinned ggml.h: "no override" for the quantiser's output and embedding types. */
export const GGML_TYPE_COUNT = 43;

/**
 * `llama_model_quantize_default_params()` read through our layout against the pinned source's values
 * (`src/llama-quant.cpp`): other bytes at these offsets mean another layout.
 */
export function checkQuantizeDefaults(q: QuantizeParams): string[] {
  const expect: Partial<Record<keyof QuantizeParams, unknown>> = {
    nthread: 0,
    ftype: 7, // LLAMA_FTYPE_MOSTLY_Q8_0
    output_tensor_type: GGML_TYPE_COUNT,
    token_embedding_type: GGML_TYPE_COUNT,
    allow_requantize: false,
    quantize_output_tensor: true,
    only_copy: false,
    pure: false,
    keep_split: false,
    dry_run: false,
  };
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(expect)) {
    const actual = q[k as keyof QuantizeParams];
    if (actual !== v) diffs.push(`llama_model_quantize_params.${k} = ${String(actual)}, expected ${String(v)}`);
  }
  for (const k of ['imatrix', 'kv_overrides', 'tt_overrides', 'prune_layers'] as const)
    if (q[k] !== null) diffs.push(`llama_model_quantize_params.${k} is not NULL`);
  return diffs;
}

/** Struct sizes and field offsets in the shape of {@link EXPECTED_LAYOUT}, as a C compiler saw some headers. */
export type AbiLayout = Record<string, { size: number; fields: Record<string, number> }>;

/** How `actual` (e.g. printed by {@link abiTableProgram} built against a source tree) differs from the pinned table. */
export function layoutDifferences(actual: AbiLayout): string[] {
  const diffs: string[] = [];
  for (const [name, expected] of Object.entries(EXPECTED_LAYOUT)) {
    const got = actual[name];
    if (!got) {
      diffs.push(`no ${name}`);
      continue;
    }
    if (got.size !== expected.size) diffs.push(`sizeof(${name}) = ${got.size}, expected ${expected.size}`);
    for (const [field, offset] of Object.entries(expected.fields)) {
      const at = got.fields?.[field];
      if (at !== offset) diffs.push(`offsetof(${name}, ${field}) = ${at ?? 'missing'}, expected ${offset}`);
    }
  }
  return diffs;
}

/**
 * C source that prints, as JSON, the sizes and offsets {@link EXPECTED_LAYOUT} lists, as the compiler sees
 * them in `llama.h`. Built against a source tree, its output is that tree's {@link AbiLayout}; a field the
 * headers lack fails the compile.
 */
export function abiTableProgram(): string {
  const lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "llama.h"', '', 'int main(void) {', '  printf("{");'];
  Object.entries(EXPECTED_LAYOUT).forEach(([name, layout], i) => {
    const fields = Object.keys(layout.fields);
    lines.push(`  printf("${i > 0 ? ',' : ''}\\"${name}\\":{\\"size\\":%zu,\\"fields\\":{", sizeof(struct ${name}));`);
    fields.forEach((field, j) => {
      lines.push(`  printf("${j > 0 ? ',' : ''}\\"${field}\\":%zu", offsetof(struct ${name}, ${field}));`);
    });
    lines.push('  printf("}}");');
  });
  lines.push('  printf("}\\n");', '  return 0;', '}', '');
  return lines.join('\n');
}
