import type { Draft } from './draft.ts';
import { TrbenchError } from './errors.ts';
import type { Predictions } from './predictions.ts';

/** Identity of a loaded model and the engine that runs it; attached to every number trbench reports. */
export interface ModelInfo {
  /** Short name (registry name or file name). */
  name: string;
  /** Path of the weights file that was loaded. */
  path: string;
  /** sha256 of the weights file, hex. */
  sha256: string;
  vocabSize: number;
  /** Context length (tokens) of the evaluation context. */
  contextSize: number;
  /**
   * Token ids that end generation, ascending: the vocabulary's end-of-generation set plus the model
   * file's extra stop tokens (`trbench.extra_stop_token_ids`). Recorded with every result.
   */
  stopTokens: readonly number[];
}

export interface BackendInfo {
  /** e.g. `llama.cpp`, `onnxruntime`. */
  name: string;
  /** Engine version string, e.g. `node-llama-cpp 3.21.1 / llama.cpp v0.4.0`. */
  version: string;
  /** Compute device in words, e.g. `cpu`, `cuda`. */
  device: string;
  threads: number;
  /** Engine settings that change numerics or speed (e.g. KV cache type, flash attention). */
  settings?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Where the last `evaluate` spent its time (ms), for host-cost accounting: the engine's forward, moving
 * its outputs to the host (logits rows or the engine's top-k) where that is a step of its own, and
 * ranking them into `Predictions`. Backends that measure it expose it as `TargetModel.evaluateTiming`.
 */
export interface EvaluateTiming {
  forwardMs: number;
  transferMs: number;
  rankMs: number;
}

/** Options every backend accepts when opening a model. */
export interface TargetModelOptions {
  /** Largest draft (nodes, root included) that will be evaluated in one forward. */
  maxDraftNodes: number;
  /** Top-k width the drafters need per node (>= 1). */
  topK: number;
  /** CPU threads for evaluation. Default 1: on tiny models thread synchronisation dominates. */
  threads?: number;
  /** Context length; default: the model's training context. */
  contextSize?: number;
  /**
   * The caller will read `nodeLogits` (sampling). Backends that keep logits in native memory expose them
   * anyway; others fetch full rows only when asked.
   */
  exposeLogits?: boolean;
}

/**
 * A target model that can evaluate a whole draft in one forward pass. Implementations keep a KV cache
 * of the committed tokens; `evaluate` must leave it logically unchanged until `commit` is called.
 */
export interface TargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  /** Width of the top-k rows this model fills. */
  readonly topK: number;
  /** Largest draft `evaluate` accepts. */
  readonly maxDraftNodes: number;
  /** Token ids that end generation. */
  isEndOfGeneration(token: number): boolean;
  /** Tokenizes text; `addBos` prepends the model's BOS where the model uses one. */
  tokenize(text: string, addBos: boolean): Int32Array;
  /** Text of a token sequence (special tokens rendered as nothing). */
  detokenize(tokens: ArrayLike<number>): string;

  /** Number of tokens whose KV is in the cache. */
  readonly committedLength: number;
  /** Forgets every committed token. */
  reset(): void;
  /**
   * Appends tokens to the committed context. With `out`, fills one prediction row per token
   * (the prediction after that token), used for cold-start seeding.
   */
  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void;
  /**
   * Evaluates every node of `draft` in one forward; fills row i of `out` with the prediction after node i.
   * `withLogSumExp` adds every row's log-sum-exp; the decode loop never asks for it: the sampling verifier
   * builds the distribution of only the nodes it visits, from `nodeLogits`.
   */
  evaluate(draft: Draft, out: Predictions, withLogSumExp?: boolean): void;
  /**
   * Keeps only the given root-to-node path (node indices of the last evaluated draft, root first) and
   * appends it to the committed context.
   */
  commit(pathNodes: Int32Array, pathLength: number): void;
  /**
   * Forgets the committed tokens from position `length` on (0 <= length <= committedLength). A draft model
   * uses it to roll back rejected drafts; a backend without it cannot serve as one.
   */
  truncate?(length: number): void;
  /**
   * Raw logits after node `row` of the last evaluation (a view, valid until the next call). Sampling needs
   * it for the nodes it visits; backends that cannot expose logits leave it out and only decode greedily.
   */
  nodeLogits?(row: number): Float32Array;
  /** Time split of the last `evaluate` (a live object, rewritten by each call). */
  readonly evaluateTiming?: EvaluateTiming;
  /** Releases native resources. */
  dispose(): void;
}

/** Checks the options every backend shares; returns the thread count to use (default 1). */
export function checkTargetModelOptions(options: TargetModelOptions): { threads: number } {
  const positive = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new TrbenchError(`${name} must be an integer >= 1, got ${String(v)}`);
  };
  positive('maxDraftNodes', options.maxDraftNodes);
  positive('topK', options.topK);
  const threads = options.threads ?? 1;
  positive('threads', threads);
  if (options.contextSize !== undefined) positive('contextSize', options.contextSize);
  return { threads };
}
