import type { Draft, Predictions, Rng } from '@trbench/core';
import type { NgramPool } from './lookahead-pool.ts';
import type { TokenReader } from './token-reader.ts';

/**
 * Lookahead decoding's 2-D Jacobi window (LADE `past_tokens`), laid out as non-verifiable draft nodes so
 * that it is evaluated in the same forward as the verification branch.
 *
 * Levels 0..N-2. Column 0 of level 0 is the step's input token (the draft root); level 0 holds columns
 * 1..len0, every higher level holds columns 0..len0. In the steady state len0 = W-1, so the window has
 * (W-1) + (N-2)·W tokens. LADE fills the levels during the first N-2 steps, starting from W+N-3 level-0
 * tokens drawn from the prompt; each fill step drops one column, so level f has W+N-2-f columns then.
 *
 * Visibility, checked against baselines.md §2 (input at position p):
 * - level 0 column i (p+i) sees the input and level-0 columns 1..i;
 * - level l >= 1 column i (p+l+i) sees the input, level-0 columns 1..i and column i of levels 1..l.
 * That is a tree: level-0 column i's parent is column i-1 (column 1's parent is the root), level-1 column
 * i's parent is level-0 column i (the root for i = 0), level l >= 2 column i's parent is level l-1 column i.
 * Ancestors are exactly the visible set and depth = position offset (level l column i at depth l+i), so the
 * core's tree attention encodes LADE's mask with no `allowSee`. The nodes are marked not verifiable: they
 * are evaluated, never accepted.
 *
 * Draft order: level 0 columns 1..len0, then level 1 columns 0..len0, level 2, ... (documented because the
 * tests read node indices from it).
 */
export class JacobiWindow {
  /** N: n-gram size; the window has N-1 levels. */
  readonly level: number;
  /** W: columns per level in the steady state. */
  readonly width: number;
  /** Filled levels above level 0 (N-2 in the steady state). */
  fill = 0;
  /** Level-0 tokens (columns 1..len0). */
  len0 = 0;
  /** Tokens, `[level * stride + column]`. */
  readonly tokens: Int32Array;
  /** Node index of each window cell in the last laid-out draft (column 0 of level 0 is the root, 0). */
  readonly nodes: Int32Array;
  readonly stride: number;
  private readonly fresh: Int32Array;
  private readonly tuple: Int32Array;

  constructor(level: number, width: number) {
    if (!Number.isInteger(level) || level < 3) throw new RangeError(`Lookahead level N must be an integer >= 3, got ${level}`);
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`Lookahead window W must be an integer >= 1, got ${width}`);
    this.level = level;
    this.width = width;
    this.stride = width + level - 2;
    this.tokens = new Int32Array((level - 1) * this.stride);
    this.nodes = new Int32Array((level - 1) * this.stride);
    this.fresh = new Int32Array(this.stride);
    this.tuple = new Int32Array(level - 1);
  }

  /** Whether all N-1 levels are filled (LADE only verifies n-grams from then on). */
  get steady(): boolean {
    return this.fill === this.level - 2;
  }

  /** Window nodes (root excluded) at fill level `f`: len0 + f·(len0+1) with len0 = W+N-3-f. */
  static nodesAt(level: number, width: number, f: number): number {
    const len0 = width + level - 3 - f;
    return len0 + f * (len0 + 1);
  }

  /** Starts a request: level 0 gets W+N-3 tokens drawn uniformly from the prompt (LADE's `copy_from`). */
  init(prompt: TokenReader, promptLength: number, rng: Rng): void {
    this.fill = 0;
    this.len0 = this.width + this.level - 3;
    for (let c = 1; c <= this.len0; c++) this.tokens[c] = prompt.at(Math.floor(rng.next() * promptLength)) as number;
  }

  /**
   * {@link init} with the prompt positions drawn by `source.below(promptLength)`, in column order — with
   * `PythonRandom` that is LADE's `[random.choice(all_old_tokens) for _ in range(W + N - 3)]`.
   */
  initWith(prompt: TokenReader, promptLength: number, source: { below(n: number): number }): void {
    this.fill = 0;
    this.len0 = this.width + this.level - 3;
    for (let c = 1; c <= this.len0; c++) this.tokens[c] = prompt.at(source.below(promptLength)) as number;
  }

  /** Adds the window under the draft root (see the class comment for the order). */
  layout(draft: Draft): void {
    const s = this.stride;
    const tokens = this.tokens;
    const nodes = this.nodes;
    const len0 = this.len0;
    nodes[0] = 0;
    for (let c = 1; c <= len0; c++) nodes[c] = draft.add(tokens[c], nodes[c - 1], false);
    for (let l = 1; l <= this.fill; l++) {
      const row = l * s;
      const below = row - s;
      for (let c = 0; c <= len0; c++) nodes[row + c] = draft.add(tokens[row + c], nodes[below + c], false);
    }
  }

  /**
   * One Jacobi iteration from the forward's outputs (the argmax after each window node of the last draft).
   * Fill phase: the top level's outputs at columns 1.. become a new level and every level drops column 0.
   * Steady state: W n-grams go to the pool — key level-0 column i (the input for i = 0), value the column's
   * tokens in levels 1..N-2 plus the new output — then the levels move down one (level 0 takes level 1's
   * columns 1..W-1, the top level takes the outputs). The window always advances one position, however
   * many tokens were accepted (LADE's ALWAYS_FWD_ONE).
   */
  update(predictions: Predictions, rootToken: number, pool: NgramPool): void {
    const s = this.stride;
    const tokens = this.tokens;
    const nodes = this.nodes;
    const fresh = this.fresh;
    const argmax = predictions.argmax;
    const top = this.fill * s;
    if (!this.steady) {
      const len0 = this.len0;
      for (let i = 0; i < len0; i++) fresh[i] = argmax[nodes[top + i + 1]];
      for (let c = 1; c < len0; c++) tokens[c] = tokens[c + 1];
      for (let l = 1; l <= this.fill; l++) tokens.copyWithin(l * s, l * s + 1, l * s + len0 + 1);
      for (let i = 0; i < len0; i++) tokens[top + s + i] = fresh[i];
      this.len0 = len0 - 1;
      this.fill++;
      return;
    }
    const W = this.width;
    const N = this.level;
    const tuple = this.tuple;
    for (let i = 0; i < W; i++) fresh[i] = argmax[nodes[top + i]];
    for (let i = 0; i < W; i++) {
      for (let l = 1; l <= N - 2; l++) tuple[l - 1] = tokens[l * s + i];
      tuple[N - 2] = fresh[i];
      pool.insert(i === 0 ? rootToken : tokens[i], tuple);
    }
    for (let c = 1; c < W; c++) tokens[c] = tokens[s + c];
    for (let l = 1; l < N - 2; l++) tokens.copyWithin(l * s, (l + 1) * s, (l + 1) * s + W);
    for (let i = 0; i < W; i++) tokens[top + i] = fresh[i];
  }
}
