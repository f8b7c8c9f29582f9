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
  /** Token drafted alone on a miss; null (default) = plain step. REST drafts 100 there. */
  missToken: number | null;
}

/** REST's defaults as used by Spec-Bench. */
export const REST_DEFAULTS: Readonly<RestOptions> = {
  maxQuery: 16,
  minQuery: 2,
  maxMatches: 5000,
  continuation: 10,
  draftTokens: 64,
  missToken: null,
};

/**
 * REST (He et al., NAACL 2024; FasterDecoding/REST `DraftRetriever`): retrieval-based drafting.
 *
 * Query = the last t tokens of the history (the root, i.e. the token just decoded, is the last one), for
 * t = maxQuery down to minQuery; the first t whose suffix-array range is non-empty wins. The first
 * `maxMatches` positions of the range in suffix-array order each give the next `continuation` tokens
 * (cut at the end of the datastore); a trie counts every prefix of those continuations, and the
 * `draftTokens` most frequent prefixes ({@link PrefixTrie.selectTop}) become the draft tree.
 *
 * Differences from REST: ties at the top-k cut are broken deterministically (shallower, then
 * lexicographically smaller) where REST's heap order is arbitrary, so REST's best-effort `cut_to_choices`
 * is not needed; a range whose continuations are all empty (the match ends the datastore) counts as a
 * miss and the next shorter query is tried; a miss drafts nothing unless `missToken` is set.
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
    const { maxQuery, minQuery, maxMatches, continuation, draftTokens, missToken } = options;
    const positive = (name: string, v: number): void => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`REST ${name} must be an integer >= 1, got ${v}`);
    };
    positive('minQuery', minQuery);
    positive('maxMatches', maxMatches);
    positive('continuation', continuation);
    positive('draftTokens', draftTokens);
    if (!Number.isInteger(maxQuery) || maxQuery < minQuery)
      throw new RangeError(`REST maxQuery must be an integer >= minQuery (${minQuery}), got ${maxQuery}`);
    if (missToken !== null && (!Number.isInteger(missToken) || missToken < 0))
      throw new RangeError(`REST missToken must be a token id or null, got ${missToken}`);
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
      const count = trie.selectTop(o.draftTokens, this.selected);
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
