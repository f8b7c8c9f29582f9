import type { Draft, Drafter, TokenHistory } from '@trbench/core';
import type { Datastore } from './datastore.ts';
import { PrefixTrie } from './prefix-trie.ts';
import { suffixRange } from './suffix-array.ts';

export interface RestOptions {
  /** Longest query (REST `max_token_span`, 16). */
  maxQuery: number;
  /** Shortest query (2). */
  minQuery: number;
  /** Most match positions read per retrieval (REST `k`, 5000). */
  maxMatches: number;
  /** Tokens taken after each match (REST `long`, 10). */
  continuation: number;
  /** Draft tokens, root excluded (REST `num_draft` / `choices`, 64). */
  draftTokens: number;
  /** Token drafted alone when no query hits (REST: 100, the default); null = a plain step (trbench before issue 33). */
  missToken: number | null;
  /**
   * `choices` (default): REST's `cut_to_choices` after the top-`draftTokens` selection — the selected
   * prefixes' distinct-token counts must sum to at most `draftTokens` ({@link PrefixTrie.cutToChoices}).
   * `none`: the uncut top-`draftTokens` tree (trbench before issue 33; about twice REST's tree).
   */
  cut: RestCut;
}

/** Whether REST's depth budget `cut_to_choices` follows the top-k selection (see {@link RestOptions.cut}). */
export type RestCut = 'choices' | 'none';

/** REST's defaults as used by Spec-Bench. */
export const REST_DEFAULTS: Readonly<RestOptions> = {
  maxQuery: 16,
  minQuery: 2,
  maxMatches: 5000,
  continuation: 10,
  draftTokens: 64,
  missToken: 100,
  cut: 'choices',
};

/**
 * REST (He et al., NAACL 2024; FasterDecoding/REST `DraftRetriever`): retrieval-based drafting.
 *
 * Query = the last t tokens of the history (the root, i.e. the token just decoded, is the last one), for
 * t = maxQuery down to minQuery; the first t whose suffix-array range is non-empty wins. The first
 * `maxMatches` positions of the range in suffix-array order each give the next `continuation` tokens
 * (cut at the end of the datastore); a trie counts every prefix of those continuations, the
 * `draftTokens` most frequent prefixes are selected ({@link PrefixTrie.selectTop}) and REST's
 * `cut_to_choices` then drops the deepest of them until their distinct-token counts sum to at most
 * `draftTokens` ({@link PrefixTrie.cutToChoices}; `cut: 'none'` skips it). The kept prefixes are the draft
 * tree (story bench: 19.4 tokens per forward, root included, where the uncut tree gives 34.8). No query
 * hits: `missToken` (100, as REST) is drafted alone.
 *
 * Differences from REST, all in cases its own order is arbitrary or it fails:
 * - ties are broken deterministically: at the top-k cut shallower, then lexicographically smaller, where
 *   REST's result depends on a HashMap's iteration order; in `cut_to_choices` among equal distinct counts
 *   the lower-ranked prefix goes first, where REST's stable sort keeps a HashSet's (random) order. Every
 *   trbench result is one REST can produce;
 * - a range whose continuations are all empty (the match ends the datastore) counts as a miss and the next
 *   shorter query is tried (REST's `get_draft_choices` panics on the empty path list there).
 */
export class RestDrafter implements Drafter {
  readonly name = 'rest';
  readonly maxDraftNodes: number;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params: Readonly<Record<string, unknown>>;
  /** Length of the query that hit on the last `propose` (0 = miss). */
  lastQueryLength = 0;
  private readonly datastore: Datastore;
  private readonly options: RestOptions;
  private readonly trie: PrefixTrie;
  private readonly selected: Int32Array;
  private readonly draftIndex: Int32Array;
  private readonly range = { lo: 0, hi: 0 };

  constructor(datastore: Datastore, options: RestOptions, datastoreName = 'in-memory') {
    const { maxQuery, minQuery, maxMatches, continuation, draftTokens, missToken, cut } = options;
    const positive = (name: string, v: number): void => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`REST ${name} must be an integer >= 1, got ${v}`);
    };
    positive('minQuery', minQuery);
    positive('maxMatches', maxMatches);
    positive('continuation', continuation);
    positive('draftTokens', draftTokens);
    if (!Number.isInteger(maxQuery) || maxQuery < minQuery)
      throw new RangeError(`REST maxQuery must be an integer >= minQuery (${minQuery}), got ${maxQuery}`);
    if (missToken !== null && (!Number.isInteger(missToken) || missToken < 0 || missToken >= datastore.vocabSize))
      throw new RangeError(`REST missToken must be a token id below the vocabulary size ${datastore.vocabSize} or null, got ${missToken}`);
    if (cut !== 'choices' && cut !== 'none') throw new RangeError(`REST cut must be "choices" or "none", got ${JSON.stringify(cut)}`);
    this.datastore = datastore;
    this.options = { ...options };
    this.params = { ...options, datastore: datastoreName, datastoreTokens: datastore.tokens.length };
    this.maxDraftNodes = draftTokens + 1;
    this.trie = new PrefixTrie(maxMatches * continuation, draftTokens);
    this.selected = new Int32Array(draftTokens);
    this.draftIndex = new Int32Array(maxMatches * continuation + 1);
  }

  beginRequest(): void {}

  propose(history: TokenHistory, draft: Draft): void {
    const o = this.options;
    const { tokens, suffixArray } = this.datastore;
    const n = tokens.length;
    const trie = this.trie;
    const range = this.range;
    this.lastQueryLength = 0;
    for (let t = Math.min(o.maxQuery, history.length); t >= o.minQuery; t--) {
      const hits = suffixRange(tokens, suffixArray, history, history.length - t, t, range);
      if (hits === 0) continue;
      trie.clear();
      const end = range.lo + Math.min(hits, o.maxMatches);
      for (let j = range.lo; j < end; j++) {
        const start = suffixArray[j] + t;
        const len = Math.min(o.continuation, n - start);
        if (len > 0) trie.insertSorted(tokens, start, len);
      }
      if (trie.size === 1) continue;
      const top = trie.selectTop(o.draftTokens, this.selected);
      const count = o.cut === 'choices' ? trie.cutToChoices(this.selected, top, o.draftTokens) : top;
      const index = this.draftIndex;
      index[0] = 0;
      for (let i = 0; i < count; i++) {
        const id = this.selected[i];
        index[id] = draft.add(trie.token[id], index[trie.parent[id]]);
      }
      this.lastQueryLength = t;
      return;
    }
    if (o.missToken !== null) draft.add(o.missToken, 0);
  }

  observe(): void {}
  endRequest(): void {}
}
