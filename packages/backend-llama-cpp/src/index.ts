export { PINNED as LLAMA_CPP_PINNED } from './abi.ts';
export { type GgufIdentity, readGgufIdentity } from './gguf-identity.ts';
export { type GpuChoice, type LlamaLibrary, loadLlamaLibrary, type Variant } from './library.ts';
export { LlamaCppModel, type LlamaCppModelOptions } from './llama-model.ts';
export { SeqEncoder } from './seq-encoding.ts';
export { Vocabulary } from './vocabulary.ts';
