import type { Draft, Drafter, RequestLimits, TokenHistory } from '@trbench/core';

/**
 * How long a llama.cpp n-gram speculator keeps its state:
 * - `warm`: one `llama-server` slot (`-np 1`) serving every request of this drafter instance in order —
 *   map-k/k4v keep their key list and hash index, ngram-cache its counts, ngram-mod its table, across
 *   requests, with llama.cpp's own reset rules (what a llama-server user gets);
 * - `cold`: a fresh state per request (a server restarted before each request).
 */
export type NgramLifetime = 'warm' | 'cold';

/**
 * One llama.cpp n-gram implementation for one sequence (`common_speculative_impl`, seq 0): the three calls
 * the server makes. `tokens` holds P (the tokens in the KV cache) at indices `[0, length)`; `last` is the
 * newest sampled token, not yet in P.
 */
export interface NgramSpeculator {
  /** Most tokens one draft can hold before llama.cpp's truncation. */
  readonly maxDraft: number;
  /** `begin(seq, prompt)`: the whole prompt, called once the prompt is processed. */
  begin(tokens: TokenHistory, length: number): void;
  /** `draft`: writes the chain into `out` and returns its length (0 = no draft). */
  draft(tokens: TokenHistory, length: number, last: number, out: Int32Array): number;
  /** `accept(seq, n, false)`: n = accepted draft tokens (bonus excluded). */
  accept(accepted: number): void;
  /** Back to the state of a freshly started server. */
  reset(): void;
}

/**
 * The llama-server loop around one n-gram speculator (`--spec-type <one>`, `-np 1`, `--temp 0`), in
 * trbench's decode loop:
 * - `begin` gets the full prompt after prefill, and the first token is decoded without a draft
 *   (server-context.cpp: the first token is sampled from the prompt's logits);
 * - later steps draft from P = history without its last token and `last` = the root, truncated to
 *   `min(n_ctx − |P| − 2, n_remaining − 1)`; the speculator is not called at all when that is ≤ 0;
 * - `accept(accepted drafts)` follows every non-empty draft, including the final step of a request whose
 *   end of generation falls inside the accepted drafts (the server accepts before it stops), so the warm
 *   state equals the server's.
 * Drafts are chains, as in llama.cpp.
 */
export abstract class LlamaNgramDrafter implements Drafter {
  abstract readonly name: string;
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly observesStopInDrafts = true;
  readonly params: Readonly<Record<string, unknown>>;
  private readonly speculator: NgramSpeculator;
  private readonly lifetime: NgramLifetime;
  private readonly buffer: Int32Array;
  private firstStep = true;
  private drafted = 0;
  private maxNewTokens = Number.POSITIVE_INFINITY;
  private contextSize = Number.POSITIVE_INFINITY;
  /** Requests begun on this instance (the warm state depends on them, in this order). */
  requests = 0;

  protected constructor(speculator: NgramSpeculator, lifetime: NgramLifetime, params: Record<string, unknown>) {
    if (lifetime !== 'warm' && lifetime !== 'cold') throw new RangeError(`n-gram lifetime must be warm or cold, got ${String(lifetime)}`);
    this.speculator = speculator;
    this.lifetime = lifetime;
    this.maxDraftNodes = speculator.maxDraft + 1;
    this.buffer = new Int32Array(Math.max(1, speculator.maxDraft));
    this.params = {
      ...params,
      lifetime,
      emulates: lifetime === 'warm' ? 'llama-server, one warm slot (-np 1), requests in order' : 'llama-server, fresh state per request',
      alignment: 'server: begin(full prompt), first token undrafted',
    };
  }

  beginRequest(history: TokenHistory, _promptPredictions: unknown, _sampling?: unknown, limits?: RequestLimits): void {
    if (this.lifetime === 'cold') this.speculator.reset();
    this.requests++;
    this.maxNewTokens = limits?.maxNewTokens ?? Number.POSITIVE_INFINITY;
    this.contextSize = limits?.contextSize ?? Number.POSITIVE_INFINITY;
    this.speculator.begin(history, history.length);
    this.firstStep = true;
    this.drafted = 0;
  }

  propose(history: TokenHistory, draft: Draft): void {
    this.drafted = 0;
    if (this.firstStep) {
      this.firstStep = false;
      return;
    }
    const length = history.length - 1;
    const remaining = this.maxNewTokens - (history.length - history.promptLength);
    const cap = Math.min(this.contextSize - length - 2, remaining - 1);
    if (cap <= 0) return;
    const n = Math.min(this.speculator.draft(history, length, history.at(length), this.buffer), cap);
    let parent = 0;
    for (let i = 0; i < n; i++) parent = draft.add(this.buffer[i], parent);
    this.drafted = n;
  }

  observe(_draft: Draft, _predictions: unknown, acceptance: { length: number }): void {
    if (this.drafted > 0) this.speculator.accept(acceptance.length - 1);
    this.drafted = 0;
  }

  endRequest(): void {}
}

/** `P[j..j+n)` equals `key[0..n)`; indices at or past `length` never match (they are not in P). */
export function matchesAt(tokens: TokenHistory, length: number, j: number, key: Int32Array, n: number): boolean {
  if (j + n > length) return false;
  for (let k = 0; k < n; k++) if (tokens.at(j + k) !== key[k]) return false;
  return true;
}
