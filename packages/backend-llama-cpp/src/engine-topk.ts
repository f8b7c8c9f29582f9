import { type Predictions, SparseLogitsRow, TrbenchError } from '@trbench/core';
import type { LlamaLibrary } from '@trbench/libllama';
import koffi from 'koffi';

/** Where a node's top-k is computed: on the host from the full logits row, or inside the engine's graph. */
export type RankChoice = 'host' | 'engine' | 'auto';
export const RANK_CHOICES: readonly RankChoice[] = ['host', 'engine', 'auto'];

/**
 * Picks the ranking path. `auto` = engine on a GPU build, host on the CPU build (there the engine's
 * single-threaded top-k per row over a padded logits buffer is slower than host ranking). Sampling without
 * a top-k (`samplingTopK` 0) needs whole rows, which the engine path does not return: `auto` then ranks on
 * the host, and an explicit `engine` is refused in one line.
 */
export function resolveRankPath(
  requested: RankChoice,
  gpu: boolean,
  needs: { exposeLogits: boolean; samplingTopK?: number },
): 'host' | 'engine' {
  if (!RANK_CHOICES.includes(requested)) {
    throw new TrbenchError(`unknown ranking path ${JSON.stringify(requested)}: expected ${RANK_CHOICES.join(', ')}`);
  }
  const fullRows = needs.exposeLogits && !(needs.samplingTopK !== undefined && needs.samplingTopK > 0);
  if (requested === 'host') return 'host';
  if (requested === 'auto') return gpu && !fullRows ? 'engine' : 'host';
  if (fullRows) {
    throw new TrbenchError(
      'rank engine cannot sample with top-k 0 exactly: the engine returns only the top-k of each node (no full rows, no log-sum-exp); use --rank host, or sample with --top-k N',
    );
  }
  return 'engine';
}

/**
 * Top-k ranking inside llama.cpp's graph (backend sampling): a `[top_k(keep)]` sampler chain on every
 * sequence id that can be a node's first id (llama.cpp picks an output's sampler by its first id), so
 * only `keep` ids and logits per node come back and the raw logits are never copied to the host.
 *
 * The engine's order and its choice among equal logits are unspecified (the CPU kernel swaps ranks 0 and
 * 1 on purpose), so each row is re-sorted by the project's tie rule (higher logit, then lower id). It asks
 * for one candidate more than the `width` it guarantees: when rank `width` ties with rank `width - 1`,
 * tokens outside the kept set may share that logit with a lower id, and `collect` reports the row as
 * undecidable so that the caller evaluates again with raw logits.
 */
export class EngineTopK {
  /** Ranks exact per row (the largest top-k any caller needs: drafters' and sampling's). */
  readonly width: number;
  /** Candidates the engine returns per row: width + 1, or the whole vocabulary when that is smaller. */
  readonly keep: number;
  /** Re-sorted candidates of the last `collect`, `keep` per row. */
  readonly ids: Int32Array;
  readonly logits: Float32Array;
  private readonly f: LlamaLibrary['f'];
  private readonly vocab: number;
  private readonly chains: unknown[] = [];
  private idsView = new Int32Array(0);
  private logitsView = new Float32Array(0);
  private idsAddress = 0;
  private logitsAddress = 0;
  private viewRows = 0;
  private sparse: SparseLogitsRow | null = null;

  constructor(lib: LlamaLibrary, vocab: number, width: number, rows: number) {
    this.f = lib.f;
    this.vocab = vocab;
    this.width = Math.min(width, vocab);
    this.keep = Math.min(width + 1, vocab);
    this.ids = new Int32Array(rows * this.keep);
    this.logits = new Float32Array(rows * this.keep);
  }

  /** Attaches one `[top_k(keep)]` chain to each of sequences 0..sequences-1 (a chain serves one sequence). */
  attach(ctx: unknown, sequences: number, lastLog: () => string): void {
    const f = this.f;
    const params = f.llama_sampler_chain_default_params();
    for (let s = 0; s < sequences; s++) {
      const chain = f.llama_sampler_chain_init(params);
      f.llama_sampler_chain_add(chain, f.llama_sampler_init_top_k(this.keep));
      this.chains.push(chain);
      if (!f.llama_set_sampler(ctx, s, chain)) {
        throw new TrbenchError(
          `llama.cpp refused to run top_k(${this.keep}) in the engine for sequence ${s}: ${lastLog() || 'no reason logged'}; use --rank host`,
        );
      }
    }
  }

  /** Frees the chains; call after the context that used them is freed. */
  free(): void {
    for (const chain of this.chains) this.f.llama_sampler_free(chain);
    this.chains.length = 0;
  }

  /**
   * Reads the engine's candidates of outputs 0..n-1 of the last decode (every batch token an output, in
   * batch order) and re-sorts each row by the tie rule. Returns false when some row has a tie at rank
   * `width` (its exact top-`width` cannot be told from the kept candidates).
   */
  collect(ctx: unknown, n: number): boolean {
    const f = this.f;
    const V = this.vocab;
    const keep = this.keep;
    const count = f.llama_get_sampled_candidates_count_ith(ctx, 0) as number;
    const countLast = f.llama_get_sampled_candidates_count_ith(ctx, n - 1) as number;
    if (count !== keep || countLast !== keep) {
      throw new Error(
        `llama.cpp returned ${count} / ${countLast} engine candidates for rows 0 / ${n - 1}, expected ${keep} (the top_k sampler did not run in the graph)`,
      );
    }
    this.view(ctx, n);
    // The getters index rows with a stride of one vocabulary; the last row checks that outputs are in batch order.
    const lastIds = f.llama_get_sampled_candidates_address(ctx, n - 1) as number;
    const lastLogits = f.llama_get_sampled_logits_address(ctx, n - 1) as number;
    if (lastIds !== this.idsAddress + (n - 1) * V * 4 || lastLogits !== this.logitsAddress + (n - 1) * V * 4) {
      throw new Error('llama.cpp laid out the engine candidates in an unexpected order (outputs not in batch order)');
    }
    const srcIds = this.idsView;
    const srcLogits = this.logitsView;
    const ids = this.ids;
    const vals = this.logits;
    const width = this.width;
    let decidable = true;
    for (let i = 0; i < n; i++) {
      const src = i * V;
      const dst = i * keep;
      // Insertion sort by (logit desc, id asc): keep is small (k + 1).
      for (let r = 0; r < keep; r++) {
        const id = srcIds[src + r];
        const v = srcLogits[src + r];
        let p = r;
        while (p > 0 && (vals[dst + p - 1] < v || (vals[dst + p - 1] === v && ids[dst + p - 1] > id))) {
          vals[dst + p] = vals[dst + p - 1];
          ids[dst + p] = ids[dst + p - 1];
          p--;
        }
        vals[dst + p] = v;
        ids[dst + p] = id;
      }
      if (keep > width && vals[dst + width] === vals[dst + width - 1]) decidable = false;
    }
    return decidable;
  }

  /** Copies rows 0..n-1 of the last `collect` into `out` rows first..first+n-1. */
  fill(n: number, out: Predictions, first: number): void {
    const ok = out.k;
    const keep = this.keep;
    const exact = Math.min(ok, this.width);
    if (ok > this.width && this.width < this.vocab) {
      throw new RangeError(`prediction rows of width ${ok} exceed the ${this.width} ranks the engine keeps`);
    }
    for (let i = 0; i < n; i++) {
      const src = i * keep;
      const dst = (first + i) * ok;
      for (let r = 0; r < exact; r++) {
        out.topIds[dst + r] = this.ids[src + r];
        out.topLogits[dst + r] = this.logits[src + r];
      }
      for (let r = exact; r < ok; r++) {
        // Vocabulary smaller than the requested width: pad as rankLogitsRow does.
        out.topIds[dst + r] = this.ids[src];
        out.topLogits[dst + r] = Number.NEGATIVE_INFINITY;
      }
      out.argmax[first + i] = this.ids[src];
    }
  }

  /**
   * A full-vocabulary row for row `row` of the last `collect`: its `width` kept logits, -inf elsewhere.
   * Sampling with top-k ≤ width over it is exact (the processed distribution lies inside the kept set).
   * One buffer: valid until the next call.
   */
  sparseRow(row: number): Float32Array {
    if (!this.sparse) this.sparse = new SparseLogitsRow(this.vocab, this.width);
    return this.sparse.write(this.ids, this.logits, row * this.keep, this.width);
  }

  /** (Re)creates the typed views over llama.cpp's sampled buffers when they moved or must cover more rows. */
  private view(ctx: unknown, n: number): void {
    const f = this.f;
    const idsAddress = f.llama_get_sampled_candidates_address(ctx, 0) as number;
    const logitsAddress = f.llama_get_sampled_logits_address(ctx, 0) as number;
    if (idsAddress === this.idsAddress && logitsAddress === this.logitsAddress && n <= this.viewRows) return;
    // Rows are one vocabulary apart; the last row needs only its `keep` entries.
    const elements = (n - 1) * this.vocab + this.keep;
    this.idsView = new Int32Array(koffi.view(f.llama_get_sampled_candidates_ith(ctx, 0), elements * 4));
    this.logitsView = new Float32Array(koffi.view(f.llama_get_sampled_logits_ith(ctx, 0), elements * 4));
    this.idsAddress = idsAddress;
    this.logitsAddress = logitsAddress;
    this.viewRows = n;
  }
}
