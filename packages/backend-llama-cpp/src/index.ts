// The binding and the tokenizer live in @trbench/libllama and @trbench/tokenizer; re-exported for callers
// that know them from here.
export { type GpuChoice, LLAMA_CPP_PINNED, type LlamaLibrary, loadLlamaLibrary, type Variant } from '@trbench/libllama';
export { Vocabulary } from '@trbench/tokenizer';
export { LlamaCppBatchModel, type LlamaCppBatchModelOptions } from './llama-batch-model.ts';
export { LlamaCppModel, type LlamaCppModelOptions } from './llama-model.ts';
export { SeqEncoder } from './seq-encoding.ts';
