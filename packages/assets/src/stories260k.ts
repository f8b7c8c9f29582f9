import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { writeFileAtomic } from './atomic-write.ts';
import { stampFile, verifyStampedFile } from './file-stamp.ts';
import { sha256Bytes, sha256File } from './hash.ts';
import { convertLlama2cToGguf } from './llama2c.ts';
import { readExtraStopTokens } from './model-file.ts';
import { cacheDir } from './paths.ts';
import { FILES } from './registry.ts';
import type { ResolvedModel } from './resolved-model.ts';
import { ensureFile } from './store.ts';

/** stories260K, converted from its llama2.c checkpoint into the cache once (the model every other spec builds on). */
export async function resolveStories260K(): Promise<ResolvedModel> {
  const ckpt = await ensureFile(FILES.stories260KCheckpoint);
  const tok = await ensureFile(FILES.stories260KTokenizer);
  // The conversion is cheap and deterministic: its digest names the cached file, so a file made by another
  // version of the converter (another checkout sharing the cache) is never taken for this one's, and a
  // damaged file is recognised (stamp: size at once, sha256 when the mtime changed).
  const gguf = convertLlama2cToGguf(readFileSync(ckpt.path), readFileSync(tok.path), 'stories260K', {
    checkpoint: ckpt.path,
    tokenizer: tok.path,
  });
  const sha256 = sha256Bytes(gguf);
  const out = path.join(cacheDir(), 'models', `stories260K-${sha256.slice(0, 12)}.gguf`);
  const fix = 'delete it and run `npx trbench assets` to convert it again';
  if (!existsSync(out)) {
    writeFileAtomic(out, gguf);
    await stampFile(out, sha256);
  } else {
    const stamped = await verifyStampedFile(out, fix);
    const actual = stamped ?? (await sha256File(out)); // no stamp (an older trbench): hash it once
    if (actual !== sha256) throw new TrbenchError(`${out} is damaged: sha256 ${actual}, but the conversion gives ${sha256}; ${fix}`);
    if (stamped === null) await stampFile(out, sha256);
  }
  return {
    name: 'stories260K',
    path: out,
    sha256,
    extraStopTokens: readExtraStopTokens(out),
    defaultTemplate: 'raw',
    provenance: {
      checkpointSha256: FILES.stories260KCheckpoint.sha256,
      tokenizerSha256: FILES.stories260KTokenizer.sha256,
      converter: 'trbench llama2c->gguf (F32)',
    },
  };
}
