import { TrbenchError } from '@trbench/core';
import { type LlamaLibrary, loadLlamaLibrary } from '@trbench/libllama';

/**
 * A model's vocabulary as llama.cpp sees it: tokenization, detokenization and the end-of-generation set.
 * Shared by the llama.cpp backend and by other backends (`Vocabulary.openVocabOnly`) so that every
 * backend tokenizes identically.
 */
export class Vocabulary {
  readonly size: number;
  /** Every token id that ends generation, ascending. */
  readonly stopTokens: readonly number[];
  private readonly lib: LlamaLibrary;
  private readonly vocab: unknown;
  private readonly stopTable: Uint8Array;
  private ownedModel: unknown = null;
  private tokenBuffer = new Int32Array(4096);
  private textBuffer = Buffer.alloc(1 << 16);

  constructor(lib: LlamaLibrary, vocab: unknown, extraStopTokens: number[]) {
    this.lib = lib;
    this.vocab = vocab;
    const f = lib.f;
    this.size = f.llama_vocab_n_tokens(vocab) as number;
    this.stopTable = new Uint8Array(this.size);
    for (let t = 0; t < this.size; t++) if (f.llama_vocab_is_eog(vocab, t)) this.stopTable[t] = 1;
    const eos = f.llama_vocab_eos(vocab) as number;
    if (eos >= 0 && eos < this.size) this.stopTable[eos] = 1;
    for (const t of extraStopTokens) {
      if (!Number.isInteger(t) || t < 0 || t >= this.size)
        throw new TrbenchError(`extra stop token ${t} is not a token id of this vocabulary (0..${this.size - 1})`);
      this.stopTable[t] = 1;
    }
    const stops: number[] = [];
    this.stopTable.forEach((isStop, t) => isStop && stops.push(t));
    this.stopTokens = stops;
  }

  /** Loads only the vocabulary of a GGUF file (no weights), on the CPU build of llama.cpp. */
  static async openVocabOnly(path: string, extraStopTokens: number[] = []): Promise<Vocabulary> {
    const lib = await loadLlamaLibrary(false);
    const f = lib.f;
    const params = f.llama_model_default_params() as Record<string, unknown>;
    params.vocab_only = true;
    params.n_gpu_layers = 0;
    const model = f.llama_model_load_from_file(path, params);
    if (!model) throw new TrbenchError(`llama.cpp could not read the vocabulary of ${path}: ${lib.lastLog() || 'unknown error'}`);
    const v = new Vocabulary(lib, f.llama_model_get_vocab(model), extraStopTokens);
    v.ownedModel = model;
    return v;
  }

  isEndOfGeneration(token: number): boolean {
    return this.stopTable[token] === 1;
  }

  tokenize(text: string, addBos: boolean): Int32Array {
    const f = this.lib.f;
    const bytes = Buffer.byteLength(text, 'utf8');
    let n = f.llama_tokenize(this.vocab, text, bytes, this.tokenBuffer, this.tokenBuffer.length, addBos, false) as number;
    if (n < 0 && n !== -2147483648) {
      this.tokenBuffer = new Int32Array(-n + 16);
      n = f.llama_tokenize(this.vocab, text, bytes, this.tokenBuffer, this.tokenBuffer.length, addBos, false) as number;
    }
    if (n < 0) throw new TrbenchError(`tokenization failed for a text of ${bytes} bytes (${n})`);
    return this.tokenBuffer.slice(0, n);
  }

  detokenize(tokens: ArrayLike<number>): string {
    const f = this.lib.f;
    const ids = tokens instanceof Int32Array ? tokens : Int32Array.from(tokens as ArrayLike<number>);
    let n = f.llama_detokenize(this.vocab, ids, ids.length, this.textBuffer, this.textBuffer.length, true, false) as number;
    if (n < 0) {
      this.textBuffer = Buffer.alloc(-n + 16);
      n = f.llama_detokenize(this.vocab, ids, ids.length, this.textBuffer, this.textBuffer.length, true, false) as number;
    }
    return this.textBuffer.toString('utf8', 0, Math.max(0, n));
  }

  /** Raw text, score and attribute bits of a vocabulary entry. */
  entry(token: number): { text: string; score: number; attr: number } {
    const f = this.lib.f;
    return {
      text: f.llama_vocab_get_text(this.vocab, token) as string,
      score: f.llama_vocab_get_score(this.vocab, token) as number,
      attr: f.llama_vocab_get_attr(this.vocab, token) as number,
    };
  }

  dispose(): void {
    if (this.ownedModel) this.lib.f.llama_model_free(this.ownedModel);
    this.ownedModel = null;
  }
}
