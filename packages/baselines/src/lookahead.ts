import { type Acceptance, type Draft, type Drafter, type Predictions, Rng, type TokenHistory } from '@trbench/core';
import { NgramPool } from './lookahead-pool.ts';
import { JacobiWindow } from './lookahead-window.ts';
import { PythonRandom } from './python-random.ts';

/**
 * How many tokens a fully matching n-gram commits: `n-1` as LADE's and Spec-Bench's code (its match loop
 * ends one short, LookaheadDecoding issue #56), `n` the fix (all N-1 drafts and the bonus token).
 */
export type LookaheadFullMatchCommit = 'n-1' | 'n';

export interface LookaheadOptions {
  /** N: n-gram size (LADE `LEVEL`); the window has N-1 levels. */
  level: number;
  /** W: window width (LADE `WINDOW_SIZE`). */
  window: number;
  /** G: most n-grams kept per key and verified per step (LADE `GUESS_SET_SIZE`). */
  guess: number;
  /**
   * n-grams kept per key: null (default) = G, as LADE; -1 = every distinct n-gram (LADE `GUESS_SET_SIZE = -1`),
   * of which the G most recently added are verified per step.
   */
  poolSize: -1 | null;
  /** Seed of the window initialisation (core `Rng`; LADE draws prompt tokens with an unseeded `random.choice`). */
  seed: number;
  /**
   * When set, the window start is drawn as Spec-Bench's copy of LADE draws it: `random.seed(windowSeed)` on
   * every request (Spec-Bench: 10), then `random.choice(prompt)` per token, with CPython's generator
   * ({@link PythonRandom}); `seed` is then unused. null (default): the core `Rng` seeded with `seed`.
   */
  windowSeed: number | null;
  /** Tokens a fully matching n-gram commits (default `n-1`, as LADE and Spec-Bench). */
  fullMatchCommit: LookaheadFullMatchCommit;
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
  poolSize: null,
  seed: 0,
  windowSeed: null,
  fullMatchCommit: 'n-1',
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
 * draft order on ties — LADE's rule. With `fullMatchCommit: 'n-1'` (the default, LADE's and Spec-Bench's
 * behaviour) each chain's last token is evaluated but not verifiable, so a full match accepts N-2 drafts
 * and the bonus — the model's prediction after draft N-2, which equals draft N-1 — and commits N-1 tokens
 * as LADE does; everything else (the forward's size, the KV kept for the accepted path, the window update
 * from the same forward) is unchanged, and the committed tokens are still exactly greedy's. `observe` runs the Jacobi update from that same forward's outputs and
 * fills the pool. Candidates are only drafted once the window is filled (after N-2 steps), as in LADE.
 * LADE's mask is a tree in visibility terms (derivation in {@link JacobiWindow}), so the draft needs no
 * `allowSee` and runs on any backend with tree attention. When decoding samples, the window still follows
 * the argmax (greedy Jacobi iteration); the core's verifier keeps the output distribution exact.
 *
 * Differences from LADE's code (hao-ai-lab/LookaheadDecoding `lade/decoding.py`, and Spec-Bench's copy in
 * `model/lade/decoding.py`), all deliberate:
 * - full match: by default none — N-1 tokens, as LADE's match loop (`for gg in range(len(myguess))` ends on
 *   gg = N-2 without a break, issue #56). `fullMatchCommit: 'n'` commits all N (a labelled variant);
 * - window start: LADE's current code draws it with an unseeded `random.choice` (a different start every
 *   run); Spec-Bench's copy calls `random.seed(10)` first on every call. trbench re-seeds per request,
 *   with its own PRNG and `seed` by default, or with CPython's exact stream via `windowSeed` (10 =
 *   Spec-Bench's start, token for token);
 * - `poolFromPrompt` adds each committed token's n-gram once; LADE's current greedy loop appends
 *   `hits[max_hit]` (the last accepted token) to its history once per accepted token, so with
 *   `POOL_FROM_PROMPT` its pool receives n-grams of a history that repeats that token;
 * - `poolSize: -1` (LADE's `GUESS_SET_SIZE = -1`): LADE keeps a set per key but its draft guard
 *   (`GUESS_SET_SIZE > 0`) then never verifies any n-gram, so every step commits one token; here the G most
 *   recently added n-grams of the key are verified (a forward needs a bounded size), in insertion order
 *   where LADE's set iterates in hash order;
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
  /** Draws window positions with the core Rng (`seed`). */
  private readonly rngSource: { below(n: number): number };
  /** CPython's generator for `windowSeed`. */
  private readonly python = new PythonRandom();
  private readonly pythonSource: { below(n: number): number };
  private readonly tuple: Int32Array;
  private proposedCount = 0;

  constructor(vocabSize: number, options: LookaheadOptions) {
    const { level, window, guess, seed, poolSize, windowSeed, fullMatchCommit } = options;
    if (!Number.isInteger(guess) || guess < 0) throw new RangeError(`Lookahead guess set size G must be an integer >= 0, got ${guess}`);
    if (!Number.isInteger(seed)) throw new RangeError(`Lookahead seed must be an integer, got ${seed}`);
    if (poolSize !== null && poolSize !== -1)
      throw new RangeError(`Lookahead poolSize must be null (= G) or -1 (unbounded), got ${poolSize}`);
    if (windowSeed !== null && !Number.isSafeInteger(windowSeed))
      throw new RangeError(`Lookahead windowSeed must be an integer or null, got ${windowSeed}`);
    if (fullMatchCommit !== 'n-1' && fullMatchCommit !== 'n')
      throw new RangeError(`Lookahead fullMatchCommit must be "n-1" or "n", got ${JSON.stringify(fullMatchCommit)}`);
    this.window = new JacobiWindow(level, window);
    this.pool = new NgramPool(vocabSize, level - 1, poolSize === -1 ? -1 : guess);
    this.options = { ...options };
    this.params = { ...options };
    this.maxDraftNodes = lookaheadMaxDraftNodes(level, window, guess);
    this.rng = new Rng(seed);
    const rng = this.rng;
    this.rngSource = { below: (n) => Math.floor(rng.next() * n) };
    const python = this.python;
    this.pythonSource = { below: (n) => python.randbelow(n) };
    this.tuple = new Int32Array(level - 1);
  }

  beginRequest(history: TokenHistory): void {
    const { windowSeed } = this.options;
    if (windowSeed === null) {
      this.rng.reseed(this.options.seed);
      this.window.initWith(history, history.promptLength, this.rngSource);
    } else {
      this.python.seed(windowSeed);
      this.window.initWith(history, history.promptLength, this.pythonSource);
    }
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
      // An unbounded pool may hold more than G: the G most recently added are verified.
      const first = Math.max(0, count - this.options.guess);
      // 'n-1': the last token is evaluated but never accepted, so a full match commits N-1 tokens (LADE).
      const lastVerifiable = this.options.fullMatchCommit === 'n';
      for (let r = first; r < count; r++) {
        let parent = 0;
        for (let j = 0; j < L - 1; j++) parent = draft.add(pool.token(root, r, j), parent);
        draft.add(pool.token(root, r, L - 1), parent, lastVerifiable);
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
