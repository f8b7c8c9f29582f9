import { statSync } from 'node:fs';
import {
  type BackendInfo,
  type BatchTargetModel,
  checkTargetModelOptions,
  type Draft,
  type EvaluateTiming,
  type ModelInfo,
  type Predictions,
  rankLogitsRows,
  TrbenchError,
} from '@trbench/core';
import { GGML_TYPE, type LlamaBatch, type LlamaLibrary, loadLlamaLibrary } from '@trbench/libllama';
import { Vocabulary } from '@trbench/tokenizer';
import koffi from 'koffi';
import type { LlamaCppModelOptions } from './llama-model.ts';
import { SeqEncoder } from './seq-encoding.ts';

/** llama.cpp's LLAMA_MAX_SEQ: sequence ids a context may use (src/llama-cparams.h of the pinned release). */
const LLAMA_MAX_SEQ = 256;

export interface LlamaCppBatchModelOptions extends Omit<LlamaCppModelOptions, 'rank' | 'samplingTopK' | 'exposeLogits'> {
  /** Requests in flight (slots), >= 1. */
  batch: number;
}

/**
 * B requests decoded together by llama.cpp, each draft verified with tree attention, all of them in ONE
 * `llama_decode` per step. The KV cache is unified (tree attention needs coupled sequences): slot s keeps
 * its committed context on sequence id s (its trunk); a forward gives each slot's tree the sequence ids it
 * needs on top of its trunk (one per leaf, as at batch 1, drawn from the ids above B in slot order), with
 * positions from the slot's own committed length, so the requests never see each other. Commit keeps the
 * accepted path on the slot's trunk and frees the rest of its tree; other slots are untouched.
 *
 * Ranking is on the host (the engine top-k path of {@link LlamaCppModel} is not offered for batches), and
 * decoding is greedy (no `nodeLogits`). One forward's trees may use at most 256 sequence ids (llama.cpp's
 * limit): B trunks plus, per slot, its tree's leaves less one; {@link fitsUpTo} tells the batched loop where
 * to split a round that needs more (TR's 81-node tree, 40 leaves, at batch 8: two forwards).
 */
export class LlamaCppBatchModel implements BatchTargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  readonly topK: number;
  readonly maxDraftNodes: number;
  readonly slots: number;
  readonly evaluateTiming: EvaluateTiming = { forwardMs: 0, transferMs: 0, rankMs: 0 };
  private readonly lib: LlamaLibrary;
  private model: unknown;
  private ctx: unknown;
  private readonly mem: unknown;
  private readonly vocabSize: number;
  private readonly vocabulary: Vocabulary;
  private readonly batch: LlamaBatch;
  private readonly batchCapacity: number;
  private readonly seqMax: number;
  private readonly batchToken: Int32Array;
  private readonly batchPos: Int32Array;
  private readonly batchSeqCount: Int32Array;
  private readonly batchSeqIds: Int32Array[];
  private readonly batchLogits: Int8Array;
  private readonly encoders: SeqEncoder[];
  private readonly committed: Int32Array;
  /** Per slot, of its last evaluated draft: first batch row, rows, first extra sequence id, extra ids. */
  private readonly rowStart: Int32Array;
  private readonly rowCount: Int32Array;
  private readonly seqBase: Int32Array;
  private readonly seqExtras: Int32Array;
  /** Per slot: the global own sequence id of each node of its last draft. */
  private readonly ownGlobal: Int32Array[];
  /** Per slot: evaluated and not yet committed (its tree's cells are in the cache). */
  private readonly pending: Uint8Array;
  private logitsAddress = 0;
  private logitsRows = 0;
  private logitsView = new Float32Array(0);
  private disposed = false;

  private constructor(lib: LlamaLibrary, model: unknown, options: LlamaCppBatchModelOptions) {
    this.lib = lib;
    this.model = model;
    const f = lib.f;
    const B = options.batch;
    const threads = options.threads ?? 1;
    const contextSize = options.contextSize ?? (f.llama_model_n_ctx_train(model) as number);
    this.slots = B;
    this.maxDraftNodes = options.maxDraftNodes;
    this.topK = options.topK;
    const perSlot = SeqEncoder.sequencesNeeded(options.maxDraftNodes);
    this.seqMax = Math.min(LLAMA_MAX_SEQ, Number(f.llama_max_parallel_sequences()), B * perSlot);
    if (this.seqMax < B) throw new TrbenchError(`batch ${B} needs ${B} sequence ids but llama.cpp holds ${this.seqMax}`);
    // A whole step is one ubatch: coupled sequences cannot be split across ubatches.
    this.batchCapacity = Math.max(B * options.maxDraftNodes, Math.min(512, contextSize));

    const cparams = f.llama_context_default_params() as Record<string, unknown>;
    // Every slot holds up to contextSize committed cells plus its draft's while it is evaluated.
    cparams.n_ctx = B * (contextSize + options.maxDraftNodes);
    cparams.n_batch = this.batchCapacity;
    cparams.n_ubatch = this.batchCapacity;
    cparams.n_seq_max = this.seqMax;
    cparams.n_threads = threads;
    cparams.n_threads_batch = threads;
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
      throw new TrbenchError(`llama.cpp could not create a context of batch ${B} for ${options.path}: ${lib.lastLog()}`);
    }
    this.mem = f.llama_get_memory(this.ctx);
    this.vocabulary = new Vocabulary(lib, f.llama_model_get_vocab(model), options.extraStopTokens ?? []);
    this.vocabSize = this.vocabulary.size;

    const cap = this.batchCapacity;
    this.batch = f.llama_batch_init(cap, 0, this.seqMax) as LlamaBatch;
    this.batchToken = new Int32Array(koffi.view(this.batch.token, cap * 4));
    this.batchPos = new Int32Array(koffi.view(this.batch.pos, cap * 4));
    this.batchSeqCount = new Int32Array(koffi.view(this.batch.n_seq_id, cap * 4));
    this.batchLogits = new Int8Array(koffi.view(this.batch.logits, cap));
    const seqPtrs = koffi.decode(this.batch.seq_id, koffi.array('void *', cap)) as unknown[];
    this.batchSeqIds = seqPtrs.map((p) => new Int32Array(koffi.view(p, this.seqMax * 4)));
    this.encoders = Array.from({ length: B }, () => new SeqEncoder(options.maxDraftNodes, Math.min(perSlot, this.seqMax)));
    this.committed = new Int32Array(B);
    this.rowStart = new Int32Array(B);
    this.rowCount = new Int32Array(B);
    this.seqBase = new Int32Array(B);
    this.seqExtras = new Int32Array(B);
    this.ownGlobal = Array.from({ length: B }, () => new Int32Array(options.maxDraftNodes));
    this.pending = new Uint8Array(B);

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
        contextSize,
        kvCells: f.llama_n_ctx(this.ctx) as number,
        batch: cap,
        rank: 'host',
        slots: B,
        sequences: this.seqMax,
        kvUnified: true,
      },
    };
  }

  /** Loads a GGUF model for `batch` requests in flight. */
  static async open(options: LlamaCppBatchModelOptions): Promise<LlamaCppBatchModel> {
    checkTargetModelOptions(options);
    if (!Number.isInteger(options.batch) || options.batch < 1 || options.batch > LLAMA_MAX_SEQ)
      throw new TrbenchError(`batch must be an integer in 1..${LLAMA_MAX_SEQ}, got ${options.batch}`);
    const lib = await loadLlamaLibrary(options.gpu ?? 'auto');
    const f = lib.f;
    const mparams = f.llama_model_default_params() as Record<string, unknown>;
    mparams.n_gpu_layers = lib.variant === 'cpu' ? 0 : (options.gpuLayers ?? -1);
    const model = f.llama_model_load_from_file(options.path, mparams);
    if (!model) {
      const size = statSync(options.path, { throwIfNoEntry: false })?.size;
      throw new TrbenchError(
        `llama.cpp could not load ${options.path}: ${lib.lastLog() || 'unknown error'}${size === undefined ? '' : ` (${size} bytes)`}`,
      );
    }
    return new LlamaCppBatchModel(lib, model, options);
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

  committedLength(slot: number): number {
    return this.committed[slot];
  }

  resetSlot(slot: number): void {
    this.checkSlot(slot);
    this.dropPending(slot);
    this.lib.f.llama_memory_seq_rm(this.mem, slot, -1, -1);
    this.committed[slot] = 0;
  }

  prefillSlot(slot: number, tokens: ArrayLike<number>, out?: Predictions | null): void {
    this.checkSlot(slot);
    if (out && out.capacity < tokens.length)
      throw new RangeError(`prediction buffer holds ${out.capacity} rows, prefill has ${tokens.length}`);
    if (this.committed[slot] + tokens.length > this.info.contextSize)
      throw new TrbenchError(`${this.committed[slot] + tokens.length} tokens do not fit the context of ${this.info.contextSize}`);
    this.dropPending(slot);
    const cap = this.batchCapacity;
    for (let start = 0; start < tokens.length; start += cap) {
      const n = Math.min(cap, tokens.length - start);
      const L = this.committed[slot];
      for (let i = 0; i < n; i++) {
        this.batchToken[i] = tokens[start + i];
        this.batchPos[i] = L + i;
        this.batchSeqCount[i] = 1;
        this.batchSeqIds[i][0] = slot;
        this.batchLogits[i] = out ? 1 : 0;
      }
      this.decode(n);
      if (out) rankLogitsRows(this.logits(n), 0, this.vocabSize, n, out, start, false);
      this.committed[slot] = L + n;
    }
    if (out) {
      out.count = tokens.length;
      out.hasLogSumExp = false;
    }
  }

  /**
   * The slots from `from` whose trees fit the sequence ids of one forward: B trunks plus each tree's leaves
   * less one (every node for a non-tree draft) must stay within the context's ids (at most 256).
   */
  fitsUpTo(drafts: readonly (Draft | null)[], from: number): number {
    let next = this.slots;
    for (let s = from; s < drafts.length; s++) {
      const d = drafts[s];
      if (!d) continue;
      let extras = 0;
      if (d.isTree) {
        for (let i = 0; i < d.count; i++) if (d.firstChild[i] < 0) extras++;
        extras--;
      } else extras = d.count - 1;
      next += extras;
      if (next > this.seqMax && s > from) return s;
    }
    return drafts.length;
  }

  evaluateBatch(drafts: readonly (Draft | null)[], outs: readonly Predictions[]): void {
    const B = this.slots;
    if (drafts.length !== B || outs.length < B) throw new RangeError(`evaluateBatch needs ${B} drafts and prediction buffers`);
    const f = this.lib.f;
    for (let s = 0; s < B; s++) if (this.pending[s]) this.dropPending(s);
    let row = 0;
    let nextSeq = B;
    for (let s = 0; s < B; s++) {
      const draft = drafts[s];
      this.rowCount[s] = 0;
      if (!draft) continue;
      const n = draft.count;
      if (n > this.maxDraftNodes) throw new RangeError(`slot ${s}: draft of ${n} nodes exceeds maxDraftNodes ${this.maxDraftNodes}`);
      if (outs[s].capacity < n) throw new RangeError(`slot ${s}: prediction buffer holds ${outs[s].capacity} rows, draft has ${n}`);
      const L = this.committed[s];
      if (L + draft.maxDepth >= this.info.contextSize)
        throw new TrbenchError(`slot ${s}: draft reaches position ${L + draft.maxDepth}, beyond the context of ${this.info.contextSize}`);
      const enc = this.encoders[s];
      enc.encode(draft);
      const extras = enc.seqCount - 1;
      const base = nextSeq;
      nextSeq += extras;
      if (nextSeq > this.seqMax)
        throw new TrbenchError(
          `the drafts of one forward need ${nextSeq} llama.cpp sequence ids (a trunk per request plus a tree's leaves less one), more than the ${this.seqMax} a context holds: lower the batch or the trees' width`,
        );
      // Each extra sequence of the slot starts as a copy of its trunk (same prefix, same positions).
      for (let e = 0; e < extras; e++) f.llama_memory_seq_cp(this.mem, s, base + e, -1, -1);
      const own = this.ownGlobal[s];
      const words = enc.words;
      for (let i = 0; i < n; i++) {
        const r = row + i;
        this.batchToken[r] = draft.tokens[i];
        this.batchPos[r] = L + draft.depth[i];
        this.batchLogits[r] = 1;
        const ids = this.batchSeqIds[r];
        const local = enc.own[i];
        const first = local === 0 ? s : base + local - 1;
        own[i] = first;
        ids[0] = first; // the first id decides what the token attends to
        let count = 1;
        const wbase = i * words;
        for (let w = 0; w < words; w++) {
          let x = enc.sets[wbase + w];
          while (x !== 0) {
            const bit = 31 - Math.clz32(x & -x);
            x &= x - 1;
            const l = (w << 5) | bit;
            if (l !== local) ids[count++] = l === 0 ? s : base + l - 1;
          }
        }
        this.batchSeqCount[r] = count;
      }
      this.rowStart[s] = row;
      this.rowCount[s] = n;
      this.seqBase[s] = base;
      this.seqExtras[s] = extras;
      this.pending[s] = 1;
      row += n;
    }
    const timing = this.evaluateTiming;
    timing.forwardMs = 0;
    timing.transferMs = 0;
    timing.rankMs = 0;
    if (row === 0) return;
    if (row > this.batchCapacity) throw new RangeError(`${row} nodes exceed the batch capacity ${this.batchCapacity}`);
    const t0 = performance.now();
    this.decode(row);
    const t1 = performance.now();
    const logits = this.logits(row);
    const t2 = performance.now();
    const V = this.vocabSize;
    for (let s = 0; s < B; s++) {
      const n = this.rowCount[s];
      if (n === 0) continue;
      const out = outs[s];
      rankLogitsRows(logits, this.rowStart[s] * V, V, n, out, 0, false);
      out.count = n;
      out.hasLogSumExp = false;
    }
    timing.forwardMs = t1 - t0;
    timing.transferMs = t2 - t1;
    timing.rankMs = performance.now() - t2;
  }

  commitSlot(slot: number, pathNodes: Int32Array, pathLength: number): void {
    this.checkSlot(slot);
    if (!this.pending[slot]) throw new Error(`commit of slot ${slot} without a preceding evaluation`);
    const f = this.lib.f;
    const L = this.committed[slot];
    const win = this.ownGlobal[slot][pathNodes[pathLength - 1]];
    // Drop the winner's unaccepted tail, then every other sequence of this slot's tree (the winner holds
    // the prefix too, so only the tree's other cells are freed); the accepted path ends on the trunk.
    f.llama_memory_seq_rm(this.mem, win, L + pathLength, -1);
    if (win !== slot) f.llama_memory_seq_rm(this.mem, slot, -1, -1);
    const base = this.seqBase[slot];
    for (let e = 0; e < this.seqExtras[slot]; e++) if (base + e !== win) f.llama_memory_seq_rm(this.mem, base + e, -1, -1);
    if (win !== slot) {
      f.llama_memory_seq_cp(this.mem, win, slot, -1, -1);
      f.llama_memory_seq_rm(this.mem, win, -1, -1);
    }
    this.committed[slot] = L + pathLength;
    this.pending[slot] = 0;
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

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots)
      throw new RangeError(`slot must be an integer in 0..${this.slots - 1}, got ${slot}`);
  }

  /** Forgets the cells of a slot's evaluated but uncommitted draft. */
  private dropPending(slot: number): void {
    if (!this.pending[slot]) return;
    const f = this.lib.f;
    f.llama_memory_seq_rm(this.mem, slot, this.committed[slot], -1);
    const base = this.seqBase[slot];
    for (let e = 0; e < this.seqExtras[slot]; e++) f.llama_memory_seq_rm(this.mem, base + e, -1, -1);
    this.pending[slot] = 0;
  }

  private decode(n: number): void {
    this.batch.n_tokens = n;
    const rc = this.lib.f.llama_decode(this.ctx, this.batch) as number;
    if (rc !== 0) throw new Error(`llama_decode returned ${rc}: ${this.lib.lastLog()}`);
  }

  /** A view of the last decode's logits rows (llama.cpp reallocates its buffer only to grow it). */
  private logits(rows: number): Float32Array {
    const f = this.lib.f;
    const address = f.llama_get_logits_address(this.ctx) as number;
    if (address !== this.logitsAddress || rows > this.logitsRows) {
      this.logitsView = new Float32Array(koffi.view(f.llama_get_logits(this.ctx), rows * this.vocabSize * 4));
      this.logitsAddress = address;
      this.logitsRows = rows;
    }
    return this.logitsView;
  }
}
