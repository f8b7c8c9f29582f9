export { writeFileAtomic } from './atomic-write.ts';
export {
  loadSpecBenchQuestions,
  loadStorySuite,
  parseJsonlObjects,
  readJsonl,
  type SpecBenchQuestion,
  STORY_SUITE_PATH,
  type StoryPrompt,
} from './datasets.ts';
export { resolveDerived } from './derived.ts';
export { stampFile, stampPath, verifyStampedFile } from './file-stamp.ts';
export { blameFile, describeFsError } from './fs-errors.ts';
export { EXTRA_STOP_TOKENS_KEY, GgufMetadata } from './gguf-metadata.ts';
export { type GgufHeader, readGgufHeader, readTensorF32 } from './gguf-read.ts';
export { assertFreeSpace, type StreamTensor, type WriteProgress, writeGgufStream } from './gguf-stream.ts';
export { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';
export { sha256Bytes, sha256File, sha256FileCached } from './hash.ts';
export { convertLlama2cToGguf, type Llama2cConfig, readLlama2cConfig, readLlama2cTokenizer } from './llama2c.ts';
export {
  type LlamaShape,
  MAX_TWIN_VOCAB,
  NAMED_TWIN_SHAPES,
  type ParsedModelSpec,
  parseModelSpec,
  STORIES260K_SHAPE,
  STORIES260K_VOCAB,
  shapeString,
  type TwinShape,
  type TwinSpec,
  twinShapeProblem,
} from './model-spec.ts';
export { assertGgufFile, KNOWN_MODELS, parseHfUri, type ResolvedModel, resolveModel } from './models.ts';
export { cacheDir, fromUserFolder, mirrorDir, repoRoot } from './paths.ts';
export { generationProgress } from './progress.ts';
export {
  blockSize,
  encodeTensorData,
  encodeValues,
  FILE_TYPE,
  floatToHalf,
  GGML_TYPE,
  type GgmlTypeId,
  quantizeQ4_0,
  quantizeQ8_0,
  tensorTypeFor,
  typeBytes,
  WEIGHT_TYPE_ID,
  WEIGHT_TYPES,
  type WeightType,
} from './quantize.ts';
export { FILES } from './registry.ts';
export { downloadTo, ensureFile, type FileOrigin, type RemoteFile, readEnsured } from './store.ts';
export { TwinLayout } from './twin/layout.ts';
export { twinCachePath, writeTwin } from './twin/resolve.ts';
