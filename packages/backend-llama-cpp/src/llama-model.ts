import { statSync } from 'node:fs';
import {
  type BackendInfo,
  checkTargetModelOptions,
  type Draft,
  type EvaluateTiming,
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
import { EngineTopK, type RankChoice, resolveRankPath } from './engine-topk.ts';
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
  /**
   * Where each node's top-k is computed (default `auto`: engine on a GPU build, host on the CPU build).
   * `engine` runs a `top_k` sampler chain in llama.cpp's graph and copies only k ids + logits per node.
   */
  rank?: RankChoice;
  /**
   * With `exposeLogits`: the top-k of the sampling the caller does (0 = whole vocabulary). The engine path
   * keeps max(topK, samplingTopK) ranks per node and samples exactly over them; it cannot serve 0.
   */
  samplingTopK?: number;
  /**
   * Let llama.cpp repack weights into its CPU "extra" buffer types at load (`use_extra_bufts`, llama.cpp's
   * default: true). On x86 that interleaves Q4_0 and Q4_K for its `gemv`/`gemm` kernels; false keeps every
   * weight on the plain `vec_dot`/tinyBLAS path. Exposed to isolate the kernels' numerics and speed.
   */
  weightRepack?: boolean;
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
  /** Present on the engine ranking path. */
  private readonly engine: EngineTopK | null;
  /** Sequence id no sampler is attached to: carried by one node, it makes llama.cpp copy raw logits too. */
  private readonly rawLogitsSeq: number;
  /** The last evaluation fell back to raw logits (a tie at the engine's last rank): nodeLogits gives raw rows. */
  private rawRows = false;
  private engineFallbacks = 0;
  /** llama_decode (forward; the CPU build also copies the logits inside it), the logits/candidates read-out, ranking. */
  readonly evaluateTiming: EvaluateTiming = { forwardMs: 0, transferMs: 0, rankMs: 0 };
  /** Engine path opened for top-k sampling: `nodeLogits` gives the kept logits (exact for that sampling). */
  private readonly sparseRows: boolean;

  private constructor(lib: LlamaLibrary, model: unknown, options: LlamaCppModelOptions) {
    this.lib = lib;
    this.model = model;
    const f = lib.f;
    const threads = options.threads ?? 1;
    const trainCtx = f.llama_model_n_ctx_train(model) as number;
    const contextSize = options.contextSize ?? trainCtx;
    this.maxDraftNodes = options.maxDraftNodes;
    this.topK = options.topK;
    const rank = resolveRankPath(options.rank ?? 'auto', lib.variant !== 'cpu', {
      exposeLogits: options.exposeLogits ?? false,
      samplingTopK: options.samplingTopK,
    });
    const maxSequences = Number(f.llama_max_parallel_sequences());
    // The engine path keeps one sequence id free of samplers for its raw-logits fallback.
    const sequences = Math.min(maxSequences - (rank === 'engine' ? 1 : 0), SeqEncoder.sequencesNeeded(options.maxDraftNodes));
    const seqSlots = rank === 'engine' ? sequences + 1 : sequences;
    this.rawLogitsSeq = rank === 'engine' ? sequences : -1;
    this.batchCapacity = Math.max(options.maxDraftNodes, Math.min(512, contextSize));

    const cparams = f.llama_context_default_params() as Record<string, unknown>;
    // Positions stay below contextSize (the decode loop trims drafts by depth), but a draft's nodes each
    // occupy a KV cell while it is evaluated, so the cache holds contextSize + maxDraftNodes cells.
    cparams.n_ctx = contextSize + options.maxDraftNodes;
    cparams.n_batch = this.batchCapacity;
    cparams.n_ubatch = this.batchCapacity;
    cparams.n_seq_max = seqSlots;
    // Backend samplers count an output once per sequence id it carries (a tree node carries many); 0 lifts
    // the per-sequence limit (default 1) to n_outputs_max.
    if (rank === 'engine') cparams.n_outputs_max_per_seq = 0;
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
    if (rank === 'engine') {
      const width = Math.max(options.topK, options.exposeLogits ? (options.samplingTopK ?? 0) : 0);
      this.engine = new EngineTopK(lib, this.vocabSize, width, this.batchCapacity);
      try {
        this.engine.attach(this.ctx, sequences, lib.lastLog);
      } catch (err) {
        f.llama_free(this.ctx);
        this.engine.free();
        f.llama_model_free(model);
        throw err;
      }
    } else {
      this.engine = null;
    }
    this.sparseRows = this.engine !== null && options.exposeLogits === true && (options.samplingTopK ?? 0) > 0;

    this.batch = f.llama_batch_init(this.batchCapacity, 0, seqSlots) as LlamaBatch;
    const cap = this.batchCapacity;
    this.batchToken = new Int32Array(koffi.view(this.batch.token, cap * 4));
    this.batchPos = new Int32Array(koffi.view(this.batch.pos, cap * 4));
    this.batchSeqCount = new Int32Array(koffi.view(this.batch.n_seq_id, cap * 4));
    this.batchLogits = new Int8Array(koffi.view(this.batch.logits, cap));
    const seqPtrs = koffi.decode(this.batch.seq_id, koffi.array('void *', cap)) as unknown[];
    this.batchSeqIds = seqPtrs.map((p) => new Int32Array(koffi.view(p, seqSlots * 4)));
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
        rank,
        ...(this.engine ? { engineTopK: this.engine.keep } : {}),
        // Recorded only when it departs from llama.cpp's default, so earlier records stay comparable.
        ...(options.weightRepack === false ? { weightRepack: false } : {}),
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
    if (options.weightRepack === false) mparams.use_extra_bufts = false;
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
      if (out) this.rankRows(n, out, start, false, this.committed);
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
    const timing = this.evaluateTiming;
    const t0 = performance.now();
    this.decode(n);
    timing.forwardMs = performance.now() - t0;
    timing.transferMs = 0;
    timing.rankMs = 0;
    this.rankRows(n, out, 0, withLogSumExp, L);
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

  /**
   * Logits after node `row` of the last evaluation or prefill, valid until the next call. Host ranking: the
   * raw row (a view into llama.cpp's buffer). Engine ranking: the row's top max(topK, samplingTopK)
   * logits, -inf elsewhere, which is all that sampling with that top-k reads.
   */
  nodeLogits(row: number): Float32Array {
    if (this.engine) {
      if (!this.sparseRows) {
        throw new TrbenchError(
          `${this.info.name}: ranked inside the engine (--rank engine), which returns only each node's top-${this.engine.width}, not whole logits rows; use --rank host`,
        );
      }
      // After a tie fallback the raw rows are there; sampling with top-k <= width reads the same from them.
      if (!this.rawRows) return this.engine.sparseRow(row);
    }
    const V = this.vocabSize;
    return this.logitsView.subarray(row * V, row * V + V);
  }

  /** Evaluations on the engine path redone with raw logits because of a tie at the engine's last rank. */
  get engineRankFallbacks(): number {
    return this.engineFallbacks;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const f = this.lib.f;
    f.llama_batch_free(this.batch);
    f.llama_free(this.ctx);
    this.engine?.free();
    f.llama_model_free(this.model);
    this.ctx = null;
    this.model = null;
  }

  private decode(n: number): void {
    this.batch.n_tokens = n;
    const rc = this.lib.f.llama_decode(this.ctx, this.batch) as number;
    if (rc !== 0) throw new Error(`llama_decode returned ${rc}: ${this.lib.lastLog()}`);
  }

  /**
   * Fills `out` rows firstRow..firstRow+n-1 from the decode just done (batch tokens at positions from
   * `startPos`). Engine path: from the engine's candidates; when a row's top-k is undecidable from them (a
   * tie at the last kept rank), the batch is decoded again with the sampler-free sequence on its first
   * token, which makes llama.cpp copy the raw logits as well, and every row is ranked on the host.
   */
  private rankRows(n: number, out: Predictions, firstRow: number, withLogSumExp: boolean, startPos: number): void {
    this.rawRows = false;
    const engine = this.engine;
    if (engine) {
      if (withLogSumExp) throw new Error('log-sum-exp needs whole logits rows, which the engine ranking path does not return');
      const timing = this.evaluateTiming;
      const t0 = performance.now();
      const decided = engine.collect(this.ctx, n);
      const t1 = performance.now();
      timing.transferMs += t1 - t0;
      if (decided) {
        engine.fill(n, out, firstRow);
        timing.rankMs += performance.now() - t1;
        return;
      }
      this.decodeWithRawLogits(n, startPos);
      timing.forwardMs += performance.now() - t1;
      this.engineFallbacks++;
      this.rawRows = true;
    }
    this.rankHostRows(n, out, firstRow, withLogSumExp);
  }

  private decodeWithRawLogits(n: number, startPos: number): void {
    const f = this.lib.f;
    const spare = this.rawLogitsSeq;
    // Forget the cells of the decode just done (every sequence keeps the prefix it had before it), then
    // decode the same batch again with the spare sequence coupled to the first token's (it must hold the
    // same prefix to be coupled).
    f.llama_memory_seq_rm(this.mem, -1, startPos, -1);
    f.llama_memory_seq_cp(this.mem, 0, spare, -1, -1);
    const first = this.batchSeqIds[0];
    if (first[0] !== 0) throw new Error('the first batch token must belong to sequence 0');
    const count = this.batchSeqCount[0];
    first[count] = spare;
    this.batchSeqCount[0] = count + 1;
    try {
      this.decode(n);
    } finally {
      this.batchSeqCount[0] = count;
      f.llama_memory_seq_rm(this.mem, spare, -1, -1);
    }
  }

  private rankHostRows(n: number, out: Predictions, firstRow: number, withLogSumExp: boolean): void {
    const t0 = performance.now();
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
    const t1 = performance.now();
    rankLogitsRows(this.logitsView, 0, V, n, out, firstRow, withLogSumExp);
    this.evaluateTiming.transferMs += t1 - t0;
    this.evaluateTiming.rankMs += performance.now() - t1;
  }
}
