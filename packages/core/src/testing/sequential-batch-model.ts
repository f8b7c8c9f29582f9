import type { BatchTargetModel } from '../batch-model.ts';
import type { Draft } from '../draft.ts';
import type { BackendInfo, ModelInfo, TargetModel } from '../model.ts';
import type { Predictions } from '../predictions.ts';

/**
 * A {@link BatchTargetModel} made of one {@link TargetModel} per slot, evaluated one after the other: the
 * reference for the batched loop's bookkeeping in unit tests (with `BigramModel`s). It records the slots
 * and draft sizes of every batched forward. It is not a batched backend and proves nothing about one.
 */
export class SequentialBatchModel implements BatchTargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo;
  readonly topK: number;
  readonly maxDraftNodes: number;
  readonly slots: number;
  /** Per forward: the draft size of each slot (0 = idle). */
  readonly forwards: number[][] = [];
  /** Prefills in order: [slot, tokens]. */
  readonly prefills: Array<[number, number]> = [];

  /** `maxNodesPerForward`: emulates a backend whose forward holds at most that many nodes (`fitsUpTo`). */
  constructor(
    private readonly models: readonly TargetModel[],
    private readonly maxNodesPerForward = Number.POSITIVE_INFINITY,
  ) {
    const m = models[0];
    this.info = m.info;
    this.backend = { ...m.backend, name: `${m.backend.name} ×${models.length} (sequential)` };
    this.topK = m.topK;
    this.maxDraftNodes = m.maxDraftNodes;
    this.slots = models.length;
  }
  isEndOfGeneration(token: number): boolean {
    return this.models[0].isEndOfGeneration(token);
  }
  tokenize(text: string, addBos: boolean): Int32Array {
    return this.models[0].tokenize(text, addBos);
  }
  detokenize(tokens: ArrayLike<number>): string {
    return this.models[0].detokenize(tokens);
  }
  committedLength(slot: number): number {
    return this.models[slot].committedLength;
  }
  resetSlot(slot: number): void {
    this.models[slot].reset();
  }
  prefillSlot(slot: number, tokens: ArrayLike<number>, out?: Predictions | null): void {
    this.prefills.push([slot, tokens.length]);
    this.models[slot].prefill(tokens, out);
  }
  evaluateBatch(drafts: readonly (Draft | null)[], outs: readonly Predictions[]): void {
    this.forwards.push(drafts.map((d) => (d ? d.count : 0)));
    drafts.forEach((d, s) => {
      if (d) this.models[s].evaluate(d, outs[s]);
    });
  }
  fitsUpTo(drafts: readonly (Draft | null)[], from: number): number {
    let nodes = 0;
    for (let s = from; s < drafts.length; s++) {
      nodes += drafts[s]?.count ?? 0;
      if (nodes > this.maxNodesPerForward && s > from) return s;
    }
    return drafts.length;
  }
  commitSlot(slot: number, pathNodes: Int32Array, pathLength: number): void {
    this.models[slot].commit(pathNodes, pathLength);
  }
  dispose(): void {
    for (const m of this.models) m.dispose();
  }
}
