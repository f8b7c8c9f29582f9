export { LlamaCppModel, type LlamaCppModelOptions } from './llama-model.ts';
export { loadLlamaLibrary, type GpuChoice, type LlamaLibrary, type Variant } from './library.ts';
export { SeqEncoder } from './seq-encoding.ts';
export { PINNED as LLAMA_CPP_PINNED } from './abi.ts';
