import { type Acceptance, type Draft, type Drafter, type Predictions, Rng, type TokenHistory } from '@trbench/core';
import { NgramPool } from './lookahead-pool.ts';
import { JacobiWindow } from './lookahead-window.ts';

export interface LookaheadOptions {
  /** N: n-gram size (LADE `LEVEL`); the window has N-1 levels. */
  level: number;
  /** W: window width (LADE `WINDOW_SIZE`). */
  window: number;
  /** G: most n-grams kept per key and verified per step (LADE `GUESS_SET_SIZE`). */
  guess: number;
  /** Seed of the window initialisation (core `Rng`; LADE draws prompt tokens with an unseeded `random.choice`). */
  seed: number;
  /** Also seed the pool with the prompt's n-grams and add each generated n-gram (LADE `POOL_FROM_PROMPT`, default off). */
  poolFromPrompt: boolean;
  /** Keep the pool across requests (LADE builds a fresh `token_map` per `generate` call: default off). */
  keepPool: boolean;
}

/** LADE's README / Spec-Bench setting: N=5, W=7, G=7. */
export const LOOKAHEAD_DEFAULTS: Readonly<LookaheadOptions> = {
  level: 5,
  window: 7,
  guess: 7,
  seed: 0,
  poolFromPrompt: false,
  keepPool: false,
};

/**
 * Largest draft (root included) Lookahead produces: the biggest window over the fill phase, and the steady
 * window plus G candidates of N-1 tokens. In the steady state with a full pool that is (N-1)·(W+G).
 */
export function lookaheadMaxDraftNodes(level: number, window: number, guess: number): number {
  let most = 0;
  for (let f = 0; f < level - 2; f++) most = Math.max(most, 1 + JacobiWindow.nodesAt(level, window, f));
  return Math.max(most, 1 + JacobiWindow.nodesAt(level, window, level - 2) + guess * (level - 1));
}

/**
 * Lookahead decoding (Fu et al., ICML 2024; hao-ai-lab/LookaheadDecoding `jacobi_greedy_search_multilevel`).
 *
 * Every step evaluates, in ONE forward, the Jacobi window ({@link JacobiWindow}, non-verifiable nodes) and
 * the verification branch: the pool's n-grams for the root token, each an (N-1)-token chain under the root
 * in pool order (least recently inserted first). The core accepts the longest matching chain, first in
 * draft order on ties — LADE's rule. `observe` runs the Jacobi update from that same forward's outputs and
 * fills the pool. Candidates are only drafted once the window is filled (after N-2 steps), as in LADE.
 * LADE's mask is a tree in visibility terms (derivation in {@link JacobiWindow}), so the draft needs no
 * `allowSee` and runs on any backend with tree attention. When decoding samples, the window still follows
 * the argmax (greedy Jacobi iteration); the core's verifier keeps the output distribution exact.
 *
 * Differences from LADE, all deliberate:
 * - a fully matching n-gram commits N tokens (N-1 drafts + the bonus); LADE's match loop ends one short
 *   on a full match (`for gg in range(...)` without a final increment) and commits N-1;
 * - the window initialisation uses a seeded PRNG, re-seeded per request, so runs are reproducible;
 * - when the loop cuts the draft at the end of the context, the window is left as it was.
 */
export class LookaheadDrafter implements Drafter {
  readonly name = 'lookahead';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  /** The n-gram pool (exposed read-only for tests and diagnostics). */
  readonly pool: NgramPool;
  /** The Jacobi window (exposed read-only for tests and diagnostics). */
  readonly window: JacobiWindow;
  private readonly options: LookaheadOptions;
  private readonly rng: Rng;
  private readonly tuple: Int32Array;
  private proposedCount = 0;

  constructor(vocabSize: number, options: LookaheadOptions) {
    const { level, window, guess, seed } = options;
    if (!Number.isInteger(guess) || guess < 0) throw new RangeError(`Lookahead guess set size G must be an integer >= 0, got ${guess}`);
    if (!Number.isInteger(seed)) throw new RangeError(`Lookahead seed must be an integer, got ${seed}`);
    this.window = new JacobiWindow(level, window);
    this.pool = new NgramPool(vocabSize, level - 1, guess);
    this.options = { ...options };
    this.params = { ...options };
    this.maxDraftNodes = lookaheadMaxDraftNodes(level, window, guess);
    this.rng = new Rng(seed);
    this.tuple = new Int32Array(level - 1);
  }

  beginRequest(history: TokenHistory): void {
    this.rng.reseed(this.options.seed);
    this.window.init(history, history.promptLength, this.rng);
    if (!this.options.keepPool) this.pool.clear();
    if (this.options.poolFromPrompt) {
      const N = this.options.level;
      for (let end = N - 1; end < history.promptLength; end++) this.addHistoryNgram(history, end);
    }
  }

  propose(_history: TokenHistory, draft: Draft): void {
    this.window.layout(draft);
    if (this.window.steady) {
      const root = draft.tokens[0];
      const pool = this.pool;
      const count = pool.size(root);
      const L = pool.tupleLength;
      for (let r = 0; r < count; r++) {
        let parent = 0;
        for (let j = 0; j < L; j++) parent = draft.add(pool.token(root, r, j), parent);
      }
    }
    this.proposedCount = draft.count;
  }

  observe(draft: Draft, predictions: Predictions, acceptance: Acceptance, history: TokenHistory): void {
    // A smaller draft means the loop cut it at the end of the context: the window nodes moved.
    if (draft.count !== this.proposedCount) return;
    this.window.update(predictions, draft.tokens[0], this.pool);
    if (this.options.poolFromPrompt) {
      const N = this.options.level;
      for (let end = Math.max(N - 1, history.length - acceptance.length); end < history.length; end++) this.addHistoryNgram(history, end);
    }
  }

  endRequest(): void {}

  /** Pool insert of the n-gram of history ending at `end`: key = token end-N+1, value = the next N-1. */
  private addHistoryNgram(history: TokenHistory, end: number): void {
    const L = this.tuple.length;
    for (let j = 0; j < L; j++) this.tuple[j] = history.at(end - L + 1 + j);
    this.pool.insert(history.at(end - L), this.tuple);
  }
}
