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
export { stampFile, stampPath, verifyStampedFile } from './file-stamp.ts';
export { blameFile, describeFsError } from './fs-errors.ts';
export { EXTRA_STOP_TOKENS_KEY, GgufMetadata } from './gguf-metadata.ts';
export { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';
export { sha256Bytes, sha256File, sha256FileCached } from './hash.ts';
export { convertLlama2cToGguf, type Llama2cConfig, readLlama2cConfig, readLlama2cTokenizer } from './llama2c.ts';
export { assertGgufFile, KNOWN_MODELS, parseHfUri, type ResolvedModel, resolveModel } from './models.ts';
export { cacheDir, fromUserFolder, mirrorDir, repoRoot } from './paths.ts';
export { FILES } from './registry.ts';
export { downloadTo, ensureFile, type FileOrigin, type RemoteFile, readEnsured } from './store.ts';
