import { createHash } from 'node:crypto';
import { TrbenchError } from '@trbench/core';
import { GgufMetadata } from './gguf-metadata.ts';

/** What trbench needs to know about a GGUF file besides its weights. */
export interface GgufIdentity {
  path: string;
  /** Tokens in the vocabulary (`tokenizer.ggml.tokens`). */
  vocabSize: number;
  /** sha256 over the tokenizer's model name, token texts, scores and types: equal ⇔ same tokenizer. */
  tokenizerSha256: string;
  /** `trbench.twin.shape` of a twin (its extra layers are identity), null otherwise. */
  twinShape: string | null;
  /** `trbench.twin.source_sha256` of a twin: the model whose function it computes (stories260K's GGUF), null otherwise. */
  twinSourceSha256: string | null;
}

/** Reads the tokenizer fingerprint and trbench's own keys from a GGUF header (the weights are not read). */
export function readGgufIdentity(path: string): GgufIdentity {
  const metadata = GgufMetadata.read(path);
  const tokens = metadata.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens)) throw new TrbenchError(`${path}: no tokenizer.ggml.tokens in the GGUF metadata`);
  const hash = createHash('sha256');
  hash.update(`model=${String(metadata.get('tokenizer.ggml.model'))}\n`);
  for (const key of ['tokens', 'scores', 'token_type']) {
    const values = metadata.get(`tokenizer.ggml.${key}`) as ArrayLike<unknown> | undefined;
    hash.update(`${key}=`);
    if (values !== undefined && typeof values === 'object')
      for (let i = 0; i < values.length; i++) hash.update(`${String(values[i])}\u0000`);
    hash.update('\n');
  }
  const twin = metadata.get('trbench.twin.shape');
  const source = metadata.get('trbench.twin.source_sha256');
  return {
    path,
    vocabSize: tokens.length,
    tokenizerSha256: hash.digest('hex'),
    twinShape: typeof twin === 'string' ? twin : null,
    twinSourceSha256: typeof source === 'string' ? source : null,
  };
}
