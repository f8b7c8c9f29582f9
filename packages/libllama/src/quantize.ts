import { TrbenchError } from '@trbench/core';
import { checkQuantizeDefaults, type QuantizeParams } from './abi.ts';
import { loadLlamaLibrary } from './library.ts';

/**
 * llama.cpp's K-quant mixtures trbench asks libllama for, with their `llama_ftype` (what the GGUF records
 * as `general.file_type`). `_m` is llama.cpp's "medium" mixture: some tensors (the output, half of the
 * attention V and FFN down projections) a type higher; Q6_K is one type throughout.
 */
export const KQUANT_FTYPES = { q4_k_m: 15, q5_k_m: 17, q6_k: 18 } as const;
export type KQuantName = keyof typeof KQUANT_FTYPES;

export interface QuantizeOptions {
  /** Threads of the quantiser (0 = the machine's hardware threads, llama.cpp's default). */
  threads?: number;
}

/**
 * Quantises the GGUF `input` (F32/F16 weights) to `output` with libllama's own `llama_model_quantize` (the
 * code `llama-quantize` runs), on the CPU library: no K-quant code of trbench's own. The quantiser keeps
 * every metadata key of the input and sets `general.file_type`. Runs on koffi's worker thread, so the event
 * loop keeps turning (progress, signals); it cannot be stopped midway, so callers write to a temporary
 * file. Throws with llama.cpp's last log line when it fails.
 */
export async function quantizeModelFile(input: string, output: string, type: KQuantName, options: QuantizeOptions = {}): Promise<void> {
  const ftype = KQUANT_FTYPES[type];
  if (ftype === undefined)
    throw new TrbenchError(`unknown K-quant type ${JSON.stringify(type)}: expected ${Object.keys(KQUANT_FTYPES).join(', ')}`);
  const lib = await loadLlamaLibrary(false);
  const params = lib.f.llama_model_quantize_default_params() as QuantizeParams;
  const diffs = checkQuantizeDefaults(params);
  if (diffs.length > 0)
    throw new TrbenchError(`refusing to quantise: the library's defaults do not match the pinned ABI (${diffs.join('; ')})`);
  params.ftype = ftype;
  params.nthread = options.threads ?? 0;
  const rc = await new Promise<number>((resolve, reject) =>
    lib.f.llama_model_quantize.async(input, output, params, (err: unknown, value: number) => (err ? reject(err) : resolve(value))),
  );
  if (rc !== 0) throw new TrbenchError(`llama_model_quantize(${input} → ${output}, ${type}) failed (${rc}): ${lib.lastLog()}`);
}
