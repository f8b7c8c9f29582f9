import {
  type BackendInfo,
  checkTargetModelOptions,
  type Draft,
  type EvaluateTiming,
  type ModelInfo,
  type Predictions,
  rankLogitsRows,
  SparseLogitsRow,
  type TargetModel,
  type TargetModelOptions,
  TrbenchError,
} from '@trbench/core';
import { Vocabulary } from '@trbench/tokenizer';
import { Tensor } from 'onnxruntime-node';
import { GgufFile } from './gguf-reader.ts';
import { type AttentionForm, buildLlamaGraph, IO } from './llama-graph.ts';
import { type LlamaConfig, readLlamaWeights } from './llama-weights.ts';
import { type ExecutionProvider, ortVersion, SyncSession } from './ort-session.ts';

export interface OnnxModelOptions extends TargetModelOptions {
  /** Path of the GGUF file (llama architecture; F32, F16, Q8_0 or Q4_0 tensors). */
  path: string;
  /** Registry or file name recorded with results. */
  name: string;
  /** sha256 of the GGUF file (hex). */
  sha256: string;
  /** Extra token ids that end generation besides the vocabulary's end-of-generation set. */
  extraStopTokens?: number[];
  /** Default `cpu`. `webgpu` and `cuda` fail with a clear error where their runtime is missing. */
  executionProvider?: ExecutionProvider;
  /** Also fetch the raw logits of every evaluated row, for {@link OnnxModel.logitsRow} (tests, debugging). */
  keepLogits?: boolean;
  /**
   * `op` (default): ONNX's Attention operator, one node per layer. `decomposed`: MatMul/Softmax written
   * out in llama-graph.ts, slower but the place to change the attention itself. Both take the same mask.
   */
  attention?: AttentionForm;
  /**
   * `engine` / `auto` (default): TopK runs in the graph and only k ids + logits per row cross into
   * JavaScript. `host`: the full logits rows are fetched and ranked by `rankLogitsRows` (the path the
   * llama.cpp backend takes on CPU; for comparisons).
   */
  rank?: 'host' | 'engine' | 'auto';
  /**
   * With `exposeLogits`: the top-k of the sampling the caller does (0 = whole vocabulary). Above 0, the
   * graph's TopK keeps max(topK, samplingTopK) per row and `nodeLogits` gives those (exact for that
   * sampling) instead of fetching every row of logits.
   */
  samplingTopK?: number;
}

/** How an ONNX model ranks and which logits it fetches, from its options. */
function rankingPlan(options: OnnxModelOptions, vocab: number) {
  const rank = options.rank ?? 'auto';
  if (rank !== 'host' && rank !== 'engine' && rank !== 'auto')
    throw new TrbenchError(`unknown ranking path ${JSON.stringify(rank)}: expected host, engine or auto`);
  const path = rank === 'host' ? ('host' as const) : ('engine' as const);
  const samplingTopK = options.exposeLogits ? (options.samplingTopK ?? 0) : 0;
  // Sampling with a top-k needs only that many logits per row, which the graph's TopK already returns.
  const sparseSampling = path === 'engine' && samplingTopK > 0 && !options.keepLogits;
  const width = Math.min(Math.max(options.topK, sparseSampling ? samplingTopK : 0), vocab);
  const fullRows = options.keepLogits === true || path === 'host' || (options.exposeLogits === true && !sparseSampling);
  return { path, width, fullRows, sparseSampling };
}

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

/**
 * A llama GGUF run by ONNX Runtime through a graph trbench builds itself (see `buildLlamaGraph`): the
 * attention mask is an input, so one forward evaluates any draft tree or non-tree pattern. TopK and
 * log-sum-exp run inside the graph, so only `n × k` ids and logits cross into JavaScript.
 *
 * KV cache: per layer, a preallocated token-major `Float32Array` of `contextSize + maxDraftNodes` rows.
 * Each forward feeds views of the committed rows as `past` and lets ORT write the new tokens' K/V straight
 * into the rows after them (pre-allocated outputs); `commit` then moves the accepted path's rows down,
 * one row per accepted node, and nothing else is copied in JavaScript. Tokenization is llama.cpp's
 * (vocab-only load), so both backends tokenize identically.
 */
export class OnnxModel implements TargetModel {
  /** Raw logits after node `row` of the last forward; present when opened with `exposeLogits` or `keepLogits`. */
  nodeLogits?: (row: number) => Float32Array;
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  readonly topK: number;
  readonly maxDraftNodes: number;
  /** session.run (forward; ORT writes its outputs to the host inside it, so transfer stays 0) and ranking. */
  readonly evaluateTiming: EvaluateTiming = { forwardMs: 0, transferMs: 0, rankMs: 0 };
  private readonly session: SyncSession;
  private readonly vocabulary: Vocabulary;
  private readonly config: LlamaConfig;
  /** In-graph TopK width (topK clamped to the vocabulary). */
  private readonly k: number;
  private readonly kvDim: number;
  /** Rows per forward: drafts up to maxDraftNodes, prefill in chunks of this size. */
  private readonly batch: number;
  private readonly kCache: Float32Array[];
  private readonly vCache: Float32Array[];
  private readonly tokenBuf: Int32Array;
  /** Parent of each node of the last evaluated draft (to validate commit paths). */
  private readonly lastParent: Int32Array;
  private readonly positionBuf: Int32Array;
  private readonly maskBuf: Float32Array;
  private readonly topIdsBuf: Int32Array;
  private readonly topLogitsBuf: Float32Array;
  private readonly lseBuf: Float32Array;
  private readonly logitsBuf: Float32Array | null;
  private readonly rankPath: 'host' | 'engine';
  private readonly feeds: Record<string, Tensor> = {};
  private readonly fetches: Record<string, Tensor | null> = {};
  private committed = 0;
  private lastDraftCount = 0;
  private lastRows = 0;
  private disposed = false;

  private constructor(options: OnnxModelOptions, config: LlamaConfig, session: SyncSession, vocabulary: Vocabulary, contextSize: number) {
    const provider = options.executionProvider ?? 'cpu';
    const threads = options.threads ?? 1;
    this.config = config;
    this.session = session;
    this.vocabulary = vocabulary;
    this.topK = options.topK;
    this.maxDraftNodes = options.maxDraftNodes;
    const plan = rankingPlan(options, config.vocabSize);
    this.rankPath = plan.path;
    this.k = plan.width;
    this.kvDim = config.kvHeads * config.headDim;
    this.batch = Math.max(options.maxDraftNodes, Math.min(256, contextSize));
    const kvRows = contextSize + options.maxDraftNodes;
    this.kCache = Array.from({ length: config.layers }, () => new Float32Array(kvRows * this.kvDim));
    this.vCache = Array.from({ length: config.layers }, () => new Float32Array(kvRows * this.kvDim));
    const B = this.batch;
    this.tokenBuf = new Int32Array(B);
    this.lastParent = new Int32Array(options.maxDraftNodes);
    this.positionBuf = new Int32Array(B);
    this.maskBuf = new Float32Array(B * (contextSize + B));
    this.topIdsBuf = new Int32Array(B * this.k);
    this.topLogitsBuf = new Float32Array(B * this.k);
    this.lseBuf = new Float32Array(B);
    this.logitsBuf = plan.fullRows ? new Float32Array(B * config.vocabSize) : null;
    if (this.logitsBuf) this.nodeLogits = (row: number) => this.logitsRow(row);
    else if (plan.sparseSampling) {
      const sparse = new SparseLogitsRow(config.vocabSize, this.k);
      this.nodeLogits = (row: number) => {
        if (row < 0 || row >= this.lastRows) throw new RangeError(`row ${row} outside the last forward's ${this.lastRows} rows`);
        return sparse.write(this.topIdsBuf, this.topLogitsBuf, row * this.k, this.k);
      };
    }
    this.info = {
      name: options.name,
      path: options.path,
      sha256: options.sha256,
      vocabSize: config.vocabSize,
      contextSize,
      stopTokens: vocabulary.stopTokens,
    };
    this.backend = {
      name: 'onnxruntime',
      version: ortVersion(),
      device: provider,
      threads,
      settings: {
        graph: 'trbench llama',
        attention: options.attention ?? 'op',
        precision: 'fp32',
        kvCache: 'f32',
        contextSize,
        batch: B,
        rank: plan.path,
        ...(plan.path === 'engine' ? { engineTopK: this.k } : {}),
      },
    };
  }

  /** Reads the GGUF weights, builds the graph and creates the ORT session. */
  static async open(options: OnnxModelOptions): Promise<OnnxModel> {
    const { threads } = checkTargetModelOptions(options);
    const provider = options.executionProvider ?? 'cpu';
    if (!PROVIDERS.includes(provider))
      throw new TrbenchError(`unknown onnx execution provider ${JSON.stringify(provider)}: expected ${PROVIDERS.join(', ')}`);
    if (options.attention !== undefined && options.attention !== 'op' && options.attention !== 'decomposed')
      throw new TrbenchError(`unknown attention form ${JSON.stringify(options.attention)}: expected op or decomposed`);

    const file = await GgufFile.open(options.path);
    let weights: ReturnType<typeof readLlamaWeights>;
    try {
      weights = readLlamaWeights(file);
    } finally {
      file.close();
    }
    const config = weights.config;
    const contextSize = options.contextSize ?? config.contextLength;
    if (!Number.isInteger(contextSize) || contextSize < 1)
      throw new TrbenchError(`contextSize must be an integer >= 1, got ${contextSize}`);
    const vocabulary = await Vocabulary.openVocabOnly(options.path, options.extraStopTokens ?? []);
    if (vocabulary.size !== config.vocabSize) {
      vocabulary.dispose();
      throw new TrbenchError(
        `${options.path}: the tokenizer has ${vocabulary.size} tokens but token_embd.weight has ${config.vocabSize} rows`,
      );
    }
    let session: SyncSession;
    try {
      const graph = buildLlamaGraph(weights, {
        topK: rankingPlan(options, config.vocabSize).width,
        maxPositions: contextSize,
        attention: options.attention,
      });
      session = SyncSession.create(graph, provider, threads);
    } catch (err) {
      vocabulary.dispose();
      throw err;
    }
    return new OnnxModel(options, config, session, vocabulary, contextSize);
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
    this.committed = 0;
    this.lastDraftCount = 0;
  }

  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.committed)
      throw new RangeError(`truncate length must be an integer in 0..${this.committed}, got ${length}`);
    // Rows past `length` are simply overwritten by the next forward.
    this.committed = length;
    this.lastDraftCount = 0;
  }

  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void {
    if (out && out.capacity < tokens.length)
      throw new RangeError(`prediction buffer holds ${out.capacity} rows, prefill has ${tokens.length}`);
    if (this.committed + tokens.length > this.info.contextSize) {
      throw new TrbenchError(`${this.committed + tokens.length} tokens do not fit the context of ${this.info.contextSize}`);
    }
    const V = this.config.vocabSize;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!(Number.isInteger(t) && t >= 0 && t < V))
        throw new TrbenchError(`token id ${t} at ${i} is outside the vocabulary (0..${V - 1})`);
    }
    for (let start = 0; start < tokens.length; start += this.batch) {
      const n = Math.min(this.batch, tokens.length - start);
      const L = this.committed;
      const T = L + n;
      const mask = this.maskBuf;
      for (let i = 0; i < n; i++) {
        this.tokenBuf[i] = tokens[start + i];
        this.positionBuf[i] = L + i;
        mask.fill(0, i * T, i * T + L + i + 1);
        mask.fill(Number.NEGATIVE_INFINITY, i * T + L + i + 1, (i + 1) * T);
      }
      this.forward(n, L);
      if (out) this.fillPredictions(n, out, start, false);
      this.committed = T;
    }
    if (out) {
      out.count = tokens.length;
      out.hasLogSumExp = false;
    }
    this.lastDraftCount = 0;
  }

  evaluate(draft: Draft, out: Predictions, withLogSumExp = false): void {
    const n = draft.count;
    if (n > this.maxDraftNodes) throw new RangeError(`draft of ${n} nodes exceeds maxDraftNodes ${this.maxDraftNodes}`);
    if (out.capacity < n) throw new RangeError(`prediction buffer holds ${out.capacity} rows, draft has ${n}`);
    const L = this.committed;
    if (L + draft.maxDepth >= this.info.contextSize)
      throw new TrbenchError(`draft reaches position ${L + draft.maxDepth}, beyond the context of ${this.info.contextSize}`);
    const V = this.config.vocabSize;
    const T = L + n;
    const mask = this.maskBuf;
    const words = draft.rowWords;
    const vis = draft.visibility;
    for (let i = 0; i < n; i++) {
      const t = draft.tokens[i];
      if (!(t >= 0 && t < V)) throw new TrbenchError(`draft token id ${t} (node ${i}) is outside the vocabulary (0..${V - 1})`);
      this.tokenBuf[i] = t;
      this.positionBuf[i] = L + draft.depth[i];
      // Row i: the whole committed prefix, then exactly the draft nodes i sees (its visibility bits).
      const row = i * T;
      mask.fill(0, row, row + L);
      mask.fill(Number.NEGATIVE_INFINITY, row + L, row + T);
      const base = i * words;
      const lastWord = (i >>> 5) + 1; // i sees no node after itself
      for (let w = 0; w < lastWord; w++) {
        let bits = vis[base + w];
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          bits &= bits - 1;
          mask[row + L + (w << 5) + b] = 0;
        }
      }
    }
    const t0 = performance.now();
    this.forward(n, L);
    const t1 = performance.now();
    this.lastParent.set(draft.parent.subarray(0, n));
    this.fillPredictions(n, out, 0, withLogSumExp);
    this.evaluateTiming.forwardMs = t1 - t0;
    this.evaluateTiming.rankMs = performance.now() - t1;
    out.count = n;
    out.hasLogSumExp = withLogSumExp;
    this.lastDraftCount = n;
  }

  commit(pathNodes: Int32Array, pathLength: number): void {
    if (this.lastDraftCount === 0) throw new Error('commit without a preceding evaluate');
    if (pathLength < 1 || pathLength > this.lastDraftCount || pathNodes[0] !== 0)
      throw new RangeError(`commit path must start at the root and have 1..${this.lastDraftCount} nodes, got ${pathLength}`);
    for (let j = 1; j < pathLength; j++) {
      const node = pathNodes[j];
      // Row j of the committed context must hold a child of row j-1: its K was rotated for position L + j.
      if (!(node > 0 && node < this.lastDraftCount && this.lastParent[node] === pathNodes[j - 1]))
        throw new RangeError(`commit path node ${node} at index ${j} is not a child of node ${pathNodes[j - 1]} in the last draft`);
    }
    const L = this.committed;
    const D = this.kvDim;
    // Path indices increase strictly, so path[j] >= j: moving rows down in path order never overwrites a
    // row that is still to be moved.
    for (let j = 1; j < pathLength; j++) {
      const node = pathNodes[j];
      if (node === j) continue;
      const src = (L + node) * D;
      const dst = (L + j) * D;
      for (let l = 0; l < this.config.layers; l++) {
        this.kCache[l].copyWithin(dst, src, src + D);
        this.vCache[l].copyWithin(dst, src, src + D);
      }
    }
    this.committed = L + pathLength;
    this.lastDraftCount = 0;
  }

  /**
   * Raw logits of row `row` of the last forward (a view, valid until the next call); for prefill, rows of
   * its last chunk. Requires `keepLogits` at open. For tests and debugging.
   */
  logitsRow(row: number): Float32Array {
    if (!this.logitsBuf) throw new Error('logitsRow needs the model opened with keepLogits: true');
    if (row < 0 || row >= this.lastRows) throw new RangeError(`row ${row} outside the last forward's ${this.lastRows} rows`);
    const V = this.config.vocabSize;
    return this.logitsBuf.subarray(row * V, row * V + V);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.session.dispose();
    this.vocabulary.dispose();
  }

  /** One ORT run over `n` new tokens after `L` committed ones; their K/V land in cache rows L..L+n-1. */
  private forward(n: number, L: number): void {
    const D = this.kvDim;
    const feeds = this.feeds;
    const fetches = this.fetches;
    const k = this.k;
    // Tensors are thin views over the preallocated buffers; ORT reads and writes those in place.
    feeds[IO.tokens] = new Tensor('int32', this.tokenBuf.subarray(0, n), [n]);
    feeds[IO.positions] = new Tensor('int32', this.positionBuf.subarray(0, n), [n]);
    feeds[IO.mask] = new Tensor('float32', this.maskBuf.subarray(0, n * (L + n)), [n, L + n]);
    for (let l = 0; l < this.config.layers; l++) {
      feeds[IO.pastK(l)] = new Tensor('float32', this.kCache[l].subarray(0, L * D), [1, L, D]);
      feeds[IO.pastV(l)] = new Tensor('float32', this.vCache[l].subarray(0, L * D), [1, L, D]);
      fetches[IO.newK(l)] = new Tensor('float32', this.kCache[l].subarray(L * D, (L + n) * D), [1, n, D]);
      fetches[IO.newV(l)] = new Tensor('float32', this.vCache[l].subarray(L * D, (L + n) * D), [1, n, D]);
    }
    fetches[IO.topIds] = new Tensor('int32', this.topIdsBuf.subarray(0, n * k), [n, k]);
    fetches[IO.topLogits] = new Tensor('float32', this.topLogitsBuf.subarray(0, n * k), [n, k]);
    fetches[IO.logSumExp] = new Tensor('float32', this.lseBuf.subarray(0, n), [n]);
    if (this.logitsBuf) {
      const V = this.config.vocabSize;
      fetches[IO.logits] = new Tensor('float32', this.logitsBuf.subarray(0, n * V), [n, V]);
    }
    this.session.run(feeds, fetches);
    this.lastRows = n;
  }

  /** Copies rows 0..n-1 of the last forward into `out` rows first..first+n-1, enforcing the tie rule. */
  private fillPredictions(n: number, out: Predictions, first: number, withLogSumExp: boolean): void {
    if (this.rankPath === 'host') {
      const V = this.config.vocabSize;
      const logits = this.logitsBuf as Float32Array;
      rankLogitsRows(logits, 0, V, n, out, first, withLogSumExp);
      return;
    }
    const k = this.k;
    const ok = out.k;
    const keep = Math.min(k, ok);
    const ids = this.topIdsBuf;
    const vals = this.topLogitsBuf;
    for (let i = 0; i < n; i++) {
      const src = i * k;
      const dst = (first + i) * ok;
      // ORT's CPU TopK already puts equal logits in ascending id order; other providers do not promise
      // it, so equal runs are re-sorted by id (a no-op pass when there are no ties).
      for (let r = 1; r < k; r++) {
        const v = vals[src + r];
        const id = ids[src + r];
        let p = r;
        while (p > 0 && vals[src + p - 1] === v && ids[src + p - 1] > id) {
          ids[src + p] = ids[src + p - 1];
          p--;
        }
        ids[src + p] = id;
      }
      for (let r = 0; r < keep; r++) {
        out.topIds[dst + r] = ids[src + r];
        out.topLogits[dst + r] = vals[src + r];
      }
      for (let r = keep; r < ok; r++) {
        // Vocabulary smaller than the requested width: pad as rankLogitsRow does.
        out.topIds[dst + r] = ids[src];
        out.topLogits[dst + r] = Number.NEGATIVE_INFINITY;
      }
      out.argmax[first + i] = ids[src];
      if (withLogSumExp) out.logSumExp[first + i] = this.lseBuf[i];
    }
  }
}
