import { statSync } from 'node:fs';
import {
  type BackendInfo,
  checkTargetModelOptions,
  type Draft,
  type ModelInfo,
  type Predictions,
  rankLogitsRows,
  type TargetModel,
  type TargetModelOptions,
  TrbenchError,
} from '@trbench/core';
import { GGML_TYPE, type GpuChoice, type LlamaBatch, type LlamaLibrary, loadLlamaLibrary } from '@trbench/libllama';
import { Vocabulary } from '@trbench/tokenizer';
import koffi from 'koffi';
import { SeqEncoder } from './seq-encoding.ts';

export interface LlamaCppModelOptions extends TargetModelOptions {
  /** Path of the GGUF file. */
  path: string;
  /** Registry or file name recorded with results. */
  name: string;
  /** sha256 of the GGUF file (hex). */
  sha256: string;
  /** GPU variant; default `auto` (CUDA, then Vulkan, then CPU). */
  gpu?: GpuChoice;
  /** Layers to offload when a GPU variant is used; default all. */
  gpuLayers?: number;
  /**
   * KV cache element type. Default: f32 on the CPU build (tree and linear evaluation then agree to ~1e-6;
   * with f16 storage they differ by up to ~1e-3 and the tiny model runs no faster), f16 (llama.cpp's
   * default) on GPU builds.
   */
  kvCacheType?: 'f16' | 'f32';
  /**
   * Flash attention: `on`, `off`, or llama.cpp's `auto`. Default: `off` on the CPU build (measured on
   * stories260K: an 81-node tree at context 400 costs 17 ms without and 62 ms with it, and 1-token steps
   * are no slower), `auto` on GPU builds.
   */
  flashAttention?: 'auto' | 'on' | 'off';
  /** Extra token ids that end generation besides the vocabulary's end-of-generation set. */
  extraStopTokens?: number[];
}

/**
 * A GGUF model evaluated by llama.cpp through koffi, with true tree attention: one `llama_decode` per
 * draft, node visibility encoded as sequence-id sets (see {@link SeqEncoder}), and the KV cache pruned
 * to the accepted path afterwards. Predictions are ranked from typed-array views of llama.cpp's logits
 * buffer; no per-node or per-step JS objects are created on the hot path.
 */
export class LlamaCppModel implements TargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  readonly topK: number;
  readonly maxDraftNodes: number;
  private readonly lib: LlamaLibrary;
  private model: unknown;
  private ctx: unknown;
  private readonly mem: unknown;
  private readonly vocabSize: number;
  private readonly batch: LlamaBatch;
  private readonly batchCapacity: number;
  private readonly batchToken: Int32Array;
  private readonly batchPos: Int32Array;
  private readonly batchSeqCount: Int32Array;
  private readonly batchSeqIds: Int32Array[];
  private readonly batchLogits: Int8Array;
  private readonly encoder: SeqEncoder;
  private logitsAddress = 0;
  private logitsRows = 0;
  private logitsView = new Float32Array(0);
  private committed = 0;
  private lastDraftCount = 0;
  private lastSeqCount = 0;
  private disposed = false;
  private readonly vocabulary: Vocabulary;

  private constructor(lib: LlamaLibrary, model: unknown, options: LlamaCppModelOptions) {
    this.lib = lib;
    this.model = model;
    const f = lib.f;
    const threads = options.threads ?? 1;
    const trainCtx = f.llama_model_n_ctx_train(model) as number;
    const contextSize = options.contextSize ?? trainCtx;
    this.maxDraftNodes = options.maxDraftNodes;
    this.topK = options.topK;
    const sequences = Math.min(Number(f.llama_max_parallel_sequences()), SeqEncoder.sequencesNeeded(options.maxDraftNodes));
    this.batchCapacity = Math.max(options.maxDraftNodes, Math.min(512, contextSize));

    const cparams = f.llama_context_default_params() as Record<string, unknown>;
    // Positions stay below contextSize (the decode loop trims drafts by depth), but a draft's nodes each
    // occupy a KV cell while it is evaluated, so the cache holds contextSize + maxDraftNodes cells.
    cparams.n_ctx = contextSize + options.maxDraftNodes;
    cparams.n_batch = this.batchCapacity;
    cparams.n_ubatch = this.batchCapacity;
    cparams.n_seq_max = sequences;
    cparams.n_threads = threads;
    cparams.n_threads_batch = threads;
    // Tree attention needs coupled sequences in one batch, which llama.cpp only supports in unified mode.
    cparams.kv_unified = true;
    const kvCacheType = options.kvCacheType ?? (lib.variant === 'cpu' ? 'f32' : 'f16');
    const kvType = kvCacheType === 'f32' ? GGML_TYPE.F32 : GGML_TYPE.F16;
    cparams.type_k = kvType;
    cparams.type_v = kvType;
    const flash = options.flashAttention ?? (lib.variant === 'cpu' ? 'off' : 'auto');
    cparams.flash_attn_type = flash === 'on' ? 1 : flash === 'off' ? 0 : -1;
    this.ctx = f.llama_init_from_model(model, cparams);
    if (!this.ctx) {
      f.llama_model_free(model);
      throw new TrbenchError(`llama.cpp could not create a context for ${options.path}: ${lib.lastLog()}`);
    }
    this.mem = f.llama_get_memory(this.ctx);
    this.vocabulary = new Vocabulary(lib, f.llama_model_get_vocab(model), options.extraStopTokens ?? []);
    this.vocabSize = this.vocabulary.size;

    this.batch = f.llama_batch_init(this.batchCapacity, 0, sequences) as LlamaBatch;
    const cap = this.batchCapacity;
    this.batchToken = new Int32Array(koffi.view(this.batch.token, cap * 4));
    this.batchPos = new Int32Array(koffi.view(this.batch.pos, cap * 4));
    this.batchSeqCount = new Int32Array(koffi.view(this.batch.n_seq_id, cap * 4));
    this.batchLogits = new Int8Array(koffi.view(this.batch.logits, cap));
    const seqPtrs = koffi.decode(this.batch.seq_id, koffi.array('void *', cap)) as unknown[];
    this.batchSeqIds = seqPtrs.map((p) => new Int32Array(koffi.view(p, sequences * 4)));
    this.encoder = new SeqEncoder(options.maxDraftNodes, sequences);

    this.info = {
      name: options.name,
      path: options.path,
      sha256: options.sha256,
      vocabSize: this.vocabSize,
      contextSize,
      stopTokens: this.vocabulary.stopTokens,
    };
    this.backend = {
      name: 'llama.cpp',
      version: lib.versionString,
      device: lib.variant === 'cpu' ? 'cpu' : `${lib.variant} (${lib.devices.join(', ')})`,
      threads,
      settings: {
        kvCacheType,
        flashAttention: flash,
        contextSize: this.info.contextSize,
        kvCells: f.llama_n_ctx(this.ctx) as number,
        batch: this.batchCapacity,
      },
    };
  }

  /** Loads a GGUF model. The library is loaded once per process (its variant is fixed by the first call). */
  static async open(options: LlamaCppModelOptions): Promise<LlamaCppModel> {
    checkTargetModelOptions(options);
    const lib = await loadLlamaLibrary(options.gpu ?? 'auto');
    const f = lib.f;
    const mparams = f.llama_model_default_params() as Record<string, unknown>;
    mparams.n_gpu_layers = lib.variant === 'cpu' ? 0 : (options.gpuLayers ?? -1);
    const model = f.llama_model_load_from_file(options.path, mparams);
    if (!model) {
      // llama.cpp says only "failed to load model" for a truncated file: give the size to compare.
      const size = statSync(options.path, { throwIfNoEntry: false })?.size;
      throw new TrbenchError(
        `llama.cpp could not load ${options.path}: ${lib.lastLog() || 'unknown error'}` +
          (size === undefined ? '' : ` (the file has ${size} bytes: is it complete? a damaged cached file is made again once deleted)`),
      );
    }
    return new LlamaCppModel(lib, model, options);
  }

  get committedLength(): number {
    return this.committed;
  }

  isEndOfGeneration(token: number): boolean {
    return this.vocabulary.isEndOfGeneration(token);
  }

  tokenize(text: string, addBos: boolean): Int32Array {
    return this.vocabulary.tokenize(text, addBos);
  }

  detokenize(tokens: ArrayLike<number>): string {
    return this.vocabulary.detokenize(tokens);
  }

  reset(): void {
    this.lib.f.llama_memory_clear(this.mem, false);
    this.committed = 0;
    this.lastDraftCount = 0;
  }

  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.committed)
      throw new RangeError(`truncate length must be an integer in 0..${this.committed}, got ${length}`);
    // Every sequence: also drops the cells of a draft that was evaluated but never committed.
    this.lib.f.llama_memory_seq_rm(this.mem, -1, length, -1);
    this.committed = length;
    this.lastDraftCount = 0;
  }

  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void {
    if (out && out.capacity < tokens.length)
      throw new RangeError(`prediction buffer holds ${out.capacity} rows, prefill has ${tokens.length}`);
    if (this.committed + tokens.length > this.info.contextSize) {
      throw new TrbenchError(`${this.committed + tokens.length} tokens do not fit the context of ${this.info.contextSize}`);
    }
    const cap = this.batchCapacity;
    for (let start = 0; start < tokens.length; start += cap) {
      const n = Math.min(cap, tokens.length - start);
      for (let i = 0; i < n; i++) {
        this.batchToken[i] = tokens[start + i];
        this.batchPos[i] = this.committed + i;
        this.batchSeqCount[i] = 1;
        this.batchSeqIds[i][0] = 0;
        this.batchLogits[i] = out ? 1 : 0;
      }
      this.decode(n);
      if (out) this.rankRows(n, out, start, false);
      this.committed += n;
    }
    if (out) {
      out.count = tokens.length;
      out.hasLogSumExp = false;
    }
    this.lastDraftCount = 0;
  }

  evaluate(draft: Draft, out: Predictions, withLogSumExp = false): void {
    // A previous draft that was never committed leaves cells past the committed prefix: drop them first.
    if (this.lastDraftCount > 0) this.lib.f.llama_memory_seq_rm(this.mem, -1, this.committed, -1);
    const n = draft.count;
    if (n > this.maxDraftNodes) throw new RangeError(`draft of ${n} nodes exceeds maxDraftNodes ${this.maxDraftNodes}`);
    if (out.capacity < n) throw new RangeError(`prediction buffer holds ${out.capacity} rows, draft has ${n}`);
    const L = this.committed;
    if (L + draft.maxDepth >= this.info.contextSize)
      throw new TrbenchError(`draft reaches position ${L + draft.maxDepth}, beyond the context of ${this.info.contextSize}`);
    const enc = this.encoder;
    enc.encode(draft);
    const f = this.lib.f;
    // Every sequence must hold the committed prefix, with equal positions, before the batch.
    for (let s = 1; s < enc.seqCount; s++) f.llama_memory_seq_cp(this.mem, 0, s, -1, -1);
    const words = enc.words;
    for (let i = 0; i < n; i++) {
      this.batchToken[i] = draft.tokens[i];
      this.batchPos[i] = L + draft.depth[i];
      this.batchLogits[i] = 1;
      const ids = this.batchSeqIds[i];
      const own = enc.own[i];
      ids[0] = own; // the first id decides what the token attends to
      let count = 1;
      const base = i * words;
      for (let w = 0; w < words; w++) {
        let x = enc.sets[base + w];
        while (x !== 0) {
          const bit = 31 - Math.clz32(x & -x);
          x &= x - 1;
          const s = (w << 5) | bit;
          if (s !== own) ids[count++] = s;
        }
      }
      this.batchSeqCount[i] = count;
    }
    this.decode(n);
    this.rankRows(n, out, 0, withLogSumExp);
    out.count = n;
    out.hasLogSumExp = withLogSumExp;
    this.lastDraftCount = n;
    this.lastSeqCount = enc.seqCount;
  }

  commit(pathNodes: Int32Array, pathLength: number): void {
    if (this.lastDraftCount === 0) throw new Error('commit without a preceding evaluate');
    const f = this.lib.f;
    const L = this.committed;
    const last = pathNodes[pathLength - 1];
    const seq = this.encoder.own[last];
    // Drop the unaccepted tail of the winning sequence, then every cell outside it.
    f.llama_memory_seq_rm(this.mem, seq, L + pathLength, -1);
    if (this.lastSeqCount > 1) f.llama_memory_seq_keep(this.mem, seq);
    if (seq !== 0) {
      f.llama_memory_seq_cp(this.mem, seq, 0, -1, -1);
      f.llama_memory_seq_rm(this.mem, seq, -1, -1);
    }
    this.committed = L + pathLength;
    this.lastDraftCount = 0;
  }

  /** Raw logits after node `row` of the last evaluation or prefill (a view into llama.cpp's buffer, valid until the next call). */
  nodeLogits(row: number): Float32Array {
    const V = this.vocabSize;
    return this.logitsView.subarray(row * V, row * V + V);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const f = this.lib.f;
    f.llama_batch_free(this.batch);
    f.llama_free(this.ctx);
    f.llama_model_free(this.model);
    this.ctx = null;
    this.model = null;
  }

  private decode(n: number): void {
    this.batch.n_tokens = n;
    const rc = this.lib.f.llama_decode(this.ctx, this.batch) as number;
    if (rc !== 0) throw new Error(`llama_decode returned ${rc}: ${this.lib.lastLog()}`);
  }

  private rankRows(n: number, out: Predictions, firstRow: number, withLogSumExp: boolean): void {
    const f = this.lib.f;
    const address = f.llama_get_logits_address(this.ctx) as number;
    if (address !== this.logitsAddress || n > this.logitsRows) {
      // llama.cpp only reallocates its output buffer to grow it; re-view when it moves or we need more rows.
      const rows = n;
      this.logitsView = new Float32Array(koffi.view(f.llama_get_logits(this.ctx), rows * this.vocabSize * 4));
      this.logitsAddress = address;
      this.logitsRows = rows;
    }
    const V = this.vocabSize;
    rankLogitsRows(this.logitsView, 0, V, n, out, firstRow, withLogSumExp);
  }
}
