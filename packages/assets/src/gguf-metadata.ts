import { TrbenchError } from '@trbench/core';

/**
 * GGUF key (array of int32) listing the token ids that end generation besides the vocabulary's own
 * end-of-generation set. trbench writes it into the files it makes (stories260K, twins, derived models),
 * so a model opened by name and the same file opened by path stop at the same tokens.
 */
export const EXTRA_STOP_TOKENS_KEY = 'trbench.extra_stop_token_ids';

/** Metadata of a GGUF file (header only; node-llama-cpp's maintained parser), looked up by dotted key. */
export class GgufMetadata {
  private constructor(
    readonly file: string,
    private readonly root: Record<string, unknown>,
  ) {}

  static async read(file: string): Promise<GgufMetadata> {
    const { readGgufFileInfo } = await import('node-llama-cpp');
    try {
      const info = await readGgufFileInfo(file, {
        sourceType: 'filesystem',
        logWarnings: false,
        spliceSplitFiles: false,
        readTensorInfo: false,
      });
      return new GgufMetadata(file, info.metadata as unknown as Record<string, unknown>);
    } catch (err) {
      throw new TrbenchError(`${file} is not a readable GGUF file: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Value at a dotted key (`llama.block_count`), or undefined. */
  get(key: string): unknown {
    let node: unknown = this.root;
    for (const part of key.split('.')) {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      node = (node as Record<string, unknown>)[part];
    }
    return node;
  }

  /** The extra stop tokens the file declares ([] when it declares none). */
  extraStopTokens(): number[] {
    const v = this.get(EXTRA_STOP_TOKENS_KEY);
    if (v === undefined) return [];
    const ids = Array.isArray(v) ? v.map((x) => (typeof x === 'bigint' ? Number(x) : x)) : null;
    if (!ids?.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new TrbenchError(`${this.file}: metadata ${EXTRA_STOP_TOKENS_KEY} should be an array of token ids, got ${String(v)}`);
    }
    return [...new Set(ids as number[])].sort((a, b) => a - b);
  }
}
