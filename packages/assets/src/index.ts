export { writeFileAtomic } from './atomic-write.ts';
export { sha256File, sha256FileCached, sha256Bytes } from './hash.ts';
export { cacheDir, mirrorDir, repoRoot } from './paths.ts';
export { ensureFile, readEnsured, downloadTo, type RemoteFile, type FileOrigin } from './store.ts';
export { FILES } from './registry.ts';
export { resolveModel, assertGgufFile, parseHfUri, KNOWN_MODELS, type ResolvedModel } from './models.ts';
export { convertLlama2cToGguf, readLlama2cConfig, readLlama2cTokenizer, type Llama2cConfig } from './llama2c.ts';
export { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';
