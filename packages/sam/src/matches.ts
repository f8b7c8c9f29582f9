import type { TokenHistory } from '@trbench/core';
import { SuffixAutomaton } from './automaton.ts';
import type { StaticCorpus } from './static-corpus.ts';

/**
 * The two matches every SAM drafter keeps: the request's own text in a dynamic suffix automaton (extended as
 * tokens are committed), and the longest suffix of it found in the static corpus's read-only automaton (only
 * the match state moves).
 */
export class SamMatches {
  readonly dynamic = new SuffixAutomaton(1024);
  readonly corpus: StaticCorpus;
  private staticState = 0;
  private staticLength = 0;

  constructor(corpus: StaticCorpus) {
    this.corpus = corpus;
  }

  /** A new request: every history token but the last (the first root, still pending) committed to both; room for `more` after. */
  begin(history: TokenHistory, more: number): void {
    const dyn = this.dynamic;
    dyn.clear();
    dyn.reserve(history.length + more);
    this.staticState = 0;
    this.staticLength = 0;
    for (let i = 0; i < history.length - 1; i++) this.commit(history.at(i));
  }

  /**
   * Looks `root` up in both without committing it: the dynamic match is then `dynamic.outState` /
   * `outLength`, the static one `corpus.sam.outState` / `outLength`.
   */
  lookup(root: number): void {
    this.dynamic.lookup(root);
    this.corpus.sam.transfer(this.staticState, this.staticLength, root);
  }

  /** Commits a token to both (dynamic: match then extend; static: match only). */
  commit(token: number): void {
    this.dynamic.commit(token);
    const st = this.corpus.sam;
    st.transfer(this.staticState, this.staticLength, token);
    this.staticState = st.outState;
    this.staticLength = st.outLength;
  }
}
