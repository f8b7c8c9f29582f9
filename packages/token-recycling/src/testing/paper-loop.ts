import { Draft, Predictions, type TargetModel } from '@trbench/core';
import type { RankPath } from '../template.ts';

/** What one request of the reference loop produced. */
export interface PaperLoopResult {
  tokens: number[];
  steps: number;
}

/**
 * An independent transcription of the TR reference loop (`recycling_forward` and its caller in the
 * Spec-Bench evaluation code), used only to check trbench's drafter + decode loop step for step. It
 * shares nothing with `TokenRecyclingDrafter` or `DecodeLoop` but the model: its own matrix, its own
 * father/rank tables built from the raw rank paths, path rewards over the leaf paths (ties → the first
 * path), and the reference's order within a step:
 *   verify → accept → stop if EOS or the length limit falls in the accepted drafts (no update)
 *   → update every tree token's row (BFS order, last occurrence wins) → stop if the bonus token ends it.
 * Length is counted the trbench way (accepted drafts + bonus per step, cut exactly at `maxNewTokens`),
 * the documented deviation from the reference, which can overshoot.
 */
export class PaperLoop {
  private readonly matrix: Int32Array;
  private readonly father: Int32Array;
  private readonly rank: Int32Array;
  /** Root-to-leaf node lists, in leaf BFS order. */
  private readonly searchPaths: number[][];
  private readonly draft: Draft;
  private readonly predictions: Predictions;

  /**
   * `updateWhenBonusEnds: false` never updates on a request's last step — the rule trbench had before it
   * followed the reference; tests use it as a negative control.
   */
  constructor(
    private readonly model: TargetModel,
    paths: ReadonlyArray<RankPath>,
    private readonly k: number,
    private readonly updateWhenBonusEnds = true,
  ) {
    const n = paths.length + 1;
    this.matrix = new Int32Array(model.info.vocabSize * k);
    this.father = new Int32Array(n);
    this.rank = new Int32Array(n);
    const index = new Map<string, number>([['', 0]]);
    paths.forEach((p, i) => {
      index.set(p.join(','), i + 1);
      this.father[i + 1] = index.get(p.slice(0, -1).join(',')) as number;
      this.rank[i + 1] = p[p.length - 1];
    });
    const isParent = new Uint8Array(n);
    for (let i = 1; i < n; i++) isParent[this.father[i]] = 1;
    this.searchPaths = [];
    for (let leaf = 1; leaf < n; leaf++) {
      if (isParent[leaf]) continue;
      const nodes = [leaf];
      while (nodes[0] !== 0) nodes.unshift(this.father[nodes[0]]);
      this.searchPaths.push(nodes);
    }
    this.draft = new Draft(n);
    this.predictions = new Predictions(n, model.topK);
  }

  /** One request; the matrix carries over to the next call (hot start). */
  generate(prompt: Int32Array, maxNewTokens: number): PaperLoopResult {
    const { model, matrix, father, rank, k, draft, predictions } = this;
    const stride = predictions.k;
    const n = father.length;
    model.reset();
    if (prompt.length > 1) model.prefill(prompt.subarray(0, prompt.length - 1));
    let root = prompt[prompt.length - 1];
    const out: number[] = [];
    let steps = 0;
    const ids = new Int32Array(n);
    for (;;) {
      ids[0] = root;
      for (let i = 1; i < n; i++) ids[i] = matrix[ids[father[i]] * k + rank[i]];
      draft.reset(root);
      for (let i = 1; i < n; i++) draft.add(ids[i], father[i]);
      model.evaluate(draft, predictions);
      steps++;

      let best = this.searchPaths[0];
      let bestReward = -1;
      for (const p of this.searchPaths) {
        let reward = 0;
        while (reward + 1 < p.length && ids[p[reward + 1]] === predictions.argmax[p[reward]]) reward++;
        if (reward > bestReward) {
          bestReward = reward;
          best = p;
        }
      }
      const accepted = Int32Array.from(best.slice(0, bestReward + 1));
      model.commit(accepted, accepted.length);

      for (let j = 1; j < accepted.length; j++) {
        const token = ids[accepted[j]];
        out.push(token);
        if (model.isEndOfGeneration(token) || out.length >= maxNewTokens) return { tokens: out, steps };
      }
      const bonus = predictions.argmax[accepted[accepted.length - 1]];
      const endsAtBonus = model.isEndOfGeneration(bonus) || out.length + 1 >= maxNewTokens;
      if (this.updateWhenBonusEnds || !endsAtBonus) {
        for (let i = 0; i < n; i++) matrix.set(predictions.topIds.subarray(i * stride, i * stride + k), ids[i] * k);
      }
      out.push(bonus);
      if (endsAtBonus) return { tokens: out, steps };
      root = bonus;
    }
  }
}
