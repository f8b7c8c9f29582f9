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
export { type GgufIdentity, readGgufIdentity } from './gguf-identity.ts';
export { EXTRA_STOP_TOKENS_KEY, GgufMetadata } from './gguf-metadata.ts';
export { type GgufHeader, type GgufSourceTensor, readGgufHeader, readTensorF32 } from './gguf-read.ts';
export { assertFreeSpace, type StreamTensor, type WriteProgress, writeGgufStream, writeGgufStreamAsync } from './gguf-stream.ts';
export { encodeGguf, encodeGgufHeader, type GgufTensor, type GgufTensorEntry, type GgufValue } from './gguf-writer.ts';
export { sha256Bytes, sha256File, sha256FileCached } from './hash.ts';
export { convertLlama2cToGguf, type Llama2cConfig, readLlama2cConfig, readLlama2cTokenizer } from './llama2c.ts';
export { assertGgufFile, parseHfUri } from './model-file.ts';
export { locateModel, type ModelLocation } from './model-locate.ts';
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
export { KNOWN_MODELS, resolveModel } from './models.ts';
export { cacheDir, fromUserFolder, mirrorDir, repoRoot } from './paths.ts';
export {
  formatDuration,
  type GenerationProgress,
  generationProgress,
  interactive,
  type PhaseProgress,
  type PhaseProgressOptions,
  phaseProgress,
  progressLineSeconds,
} from './progress.ts';
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
export type { ResolvedModel } from './resolved-model.ts';
export { downloadTo, ensureFile, type FileOrigin, type RemoteFile, readEnsured } from './store.ts';
export { TwinLayout } from './twin/layout.ts';
export { twinCachePath, writeTwin } from './twin/resolve.ts';
