import type { Draft } from './draft.ts';
import type { BackendInfo, EvaluateTiming, ModelInfo } from './model.ts';
import type { Predictions } from './predictions.ts';

/**
 * A target that keeps several requests in flight, one per slot, each with its own committed context (KV
 * cache), and evaluates one draft per active slot in ONE forward. It is the batched counterpart of
 * {@link TargetModel} (which stays the batch-1 interface): slot `s`'s operations behave exactly like
 * `TargetModel`'s on a model of its own, and slots never see each other's tokens.
 */
export interface BatchTargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  /** Width of the top-k rows this model fills. */
  readonly topK: number;
  /** Largest draft (nodes, root included) one slot may evaluate. */
  readonly maxDraftNodes: number;
  /** Requests that can be in flight at once. */
  readonly slots: number;
  isEndOfGeneration(token: number): boolean;
  tokenize(text: string, addBos: boolean): Int32Array;
  detokenize(tokens: ArrayLike<number>): string;

  /** Tokens of slot `slot` whose KV is in the cache. */
  committedLength(slot: number): number;
  /** Forgets every committed token of one slot. */
  resetSlot(slot: number): void;
  /** Appends tokens to one slot's committed context; with `out`, one prediction row per token. */
  prefillSlot(slot: number, tokens: ArrayLike<number>, out?: Predictions | null): void;
  /**
   * One forward over the drafts of every slot whose entry is not null; fills `outs[slot]` row i with the
   * prediction after node i of `drafts[slot]`. Each slot's KV stays logically unchanged until its commit.
   */
  evaluateBatch(drafts: readonly (Draft | null)[], outs: readonly Predictions[]): void;
  /**
   * For a backend with a per-forward limit (llama.cpp's 256 sequence ids): the end of the run of slots from
   * `from` (in slot order, idle ones included) whose drafts fit one forward; always > `from`. The loop then
   * evaluates and commits slot groups one forward each. Absent: every slot fits one forward.
   */
  fitsUpTo?(drafts: readonly (Draft | null)[], from: number): number;
  /** Keeps the given root-to-node path of the slot's last evaluated draft and appends it to its context. */
  commitSlot(slot: number, pathNodes: Int32Array, pathLength: number): void;
  /** Time split of the last `evaluateBatch` (a live object). */
  readonly evaluateTiming?: EvaluateTiming;
  /** Releases native resources. */
  dispose(): void;
}
