export {
  type AbiLayout,
  abiTableProgram,
  EXPECTED_LAYOUT as LLAMA_ABI_LAYOUT,
  GGML_TYPE,
  type LlamaBatch,
  layoutDifferences,
  PINNED as LLAMA_CPP_PINNED,
} from './abi.ts';
export { type GpuChoice, type LlamaLibrary, loadLlamaLibrary, type Variant } from './library.ts';
export { BUILD_STAMP_FILE, LIBRARY_DIR_ENV, type LibraryBuildStamp } from './library-dir.ts';
export { KQUANT_FTYPES, type KQuantName, type QuantizeOptions, quantizeModelFile } from './quantize.ts';
