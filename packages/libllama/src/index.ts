export { GGML_TYPE, type LlamaBatch, PINNED as LLAMA_CPP_PINNED } from './abi.ts';
export { type GpuChoice, type LlamaLibrary, loadLlamaLibrary, type Variant } from './library.ts';
