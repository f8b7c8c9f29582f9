import { createHash } from 'node:crypto';
import { TrbenchError } from '@trbench/core';

/** What trbench needs to know about a GGUF file besides its weights. */
export interface GgufIdentity {
  path: string;
  /** Tokens in the vocabulary (`tokenizer.ggml.tokens`). */
  vocabSize: number;
  /** sha256 over the tokenizer's model name, token texts, scores and types: equal ⇔ same tokenizer. */
  tokenizerSha256: string;
  /** `trbench.twin.shape` of a twin (its extra layers are identity), null otherwise. */
  twinShape: string | null;
}

function at(root: unknown, dotted: string): unknown {
  let node = root;
  for (const part of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Reads the tokenizer fingerprint and trbench's own keys from a GGUF header (node-llama-cpp's
 * `readGgufFileInfo`, metadata only: the weights are not read).
 */
export async function readGgufIdentity(path: string): Promise<GgufIdentity> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  let metadata: unknown;
  try {
    metadata = (await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false, readTensorInfo: false })).metadata;
  } catch (err) {
    throw new TrbenchError(`${path} is not a readable GGUF file: ${(err as Error).message}`, { cause: err });
  }
  const tokens = at(metadata, 'tokenizer.ggml.tokens');
  if (!Array.isArray(tokens)) throw new TrbenchError(`${path}: no tokenizer.ggml.tokens in the GGUF metadata`);
  const hash = createHash('sha256');
  hash.update(`model=${String(at(metadata, 'tokenizer.ggml.model'))}\n`);
  for (const key of ['tokens', 'scores', 'token_type']) {
    const values = at(metadata, `tokenizer.ggml.${key}`);
    hash.update(`${key}=`);
    if (Array.isArray(values)) for (const v of values) hash.update(`${String(v)}\u0000`);
    hash.update('\n');
  }
  const twin = at(metadata, 'trbench.twin.shape');
  return {
    path,
    vocabSize: tokens.length,
    tokenizerSha256: hash.digest('hex'),
    twinShape: typeof twin === 'string' ? twin : null,
  };
}
