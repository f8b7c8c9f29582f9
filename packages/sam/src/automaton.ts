import { TrbenchError } from '@trbench/core';

/** The text is 1-indexed: `text[0]` holds this sentinel, `text[k]` is the k-th token. */
const SENTINEL = -1;

/**
 * A suffix automaton (Blumer et al.) over a token text, built online, with the match state SAM-Decoding
 * keeps: `(matchState, matchLength)` = the longest suffix of what was committed that occurs in the automaton.
 *
 * Layout (all typed arrays, sized for real vocabularies):
 * - states: `link`, `length`, `minEndpos` (end position of the FIRST occurrence of the state's substrings),
 *   and each state's transitions as a singly linked list of edges in insertion order (the order the
 *   authors' Python dicts iterate in: a clone copies its source's edges in order, a redirect keeps the
 *   edge's place);
 * - transitions: one open-addressing hash (linear probing) from (state, token) to an edge, so a lookup is
 *   O(1) whatever the vocabulary size and no state holds a Map.
 *
 * Committing a token is O(1) amortised (the classic bound on suffix-link walks, plus O(1) hash probes).
 * Nothing is allocated per token once {@link reserve} has sized the arrays; growth doubles them.
 *
 * State numbering, the clone rule and the match-state update follow the authors' `DynSAM` / `StaticSAM`
 * (hyx1999/SAM-Decoding at 18c41f0) step for step, including one quirk: when extending the text splits the
 * very state the match points at, the match keeps pointing at the longer half (its length stays right; its
 * `minEndpos` may be a later occurrence than the first). Reproduced on purpose so drafts equal theirs.
 */
export class SuffixAutomaton {
  /** Tokens in the text. */
  textLength = 0;
  /** States in use, the root (state 0) included. */
  stateCount = 1;
  /** Transitions in use. */
  edgeCount = 0;
  /** State of the whole text (where the next extension starts). */
  last = 0;
  /** The match state: longest suffix of the committed tokens that occurs in the automaton. */
  matchState = 0;
  matchLength = 0;
  /** Result registers of {@link transfer} / {@link lookup} (no allocation per call). */
  outState = 0;
  outLength = 0;

  /** `text[k]` = k-th token (1-indexed), `text[0]` = sentinel. */
  text: Int32Array;
  link: Int32Array;
  length: Int32Array;
  minEndpos: Int32Array;
  /** First and last edge of each state's transition list (-1 = none). */
  firstEdge: Int32Array;
  private lastEdge: Int32Array;
  edgeFrom: Int32Array;
  edgeToken: Int32Array;
  edgeTarget: Int32Array;
  /** Next edge of the same state, in insertion order (-1 ends the list). */
  edgeNext: Int32Array;
  private slots: Int32Array;
  private slotMask: number;
  private textCapacity: number;

  constructor(textCapacity = 256) {
    this.textCapacity = 0;
    this.text = new Int32Array(0);
    this.link = new Int32Array(0);
    this.length = new Int32Array(0);
    this.minEndpos = new Int32Array(0);
    this.firstEdge = new Int32Array(0);
    this.lastEdge = new Int32Array(0);
    this.edgeFrom = new Int32Array(0);
    this.edgeToken = new Int32Array(0);
    this.edgeTarget = new Int32Array(0);
    this.edgeNext = new Int32Array(0);
    this.slots = new Int32Array(0);
    this.slotMask = 0;
    this.grow(Math.max(16, textCapacity));
    this.clear();
  }

  /** Builds an automaton of `tokens` (no match state moved: a static automaton's build). */
  static of(tokens: ArrayLike<number>): SuffixAutomaton {
    const sam = new SuffixAutomaton(tokens.length);
    for (let i = 0; i < tokens.length; i++) sam.extend(tokens[i]);
    return sam;
  }

  /** Empties the automaton: root only, empty text, match state at the root. Keeps the capacity. */
  clear(): void {
    this.textLength = 0;
    this.stateCount = 1;
    this.edgeCount = 0;
    this.last = 0;
    this.matchState = 0;
    this.matchLength = 0;
    this.text[0] = SENTINEL;
    this.link[0] = -1;
    this.length[0] = 0;
    this.minEndpos[0] = 0;
    this.firstEdge[0] = -1;
    this.lastEdge[0] = -1;
    this.slots.fill(-1);
  }

  /** Makes room for a text of `textCapacity` tokens without growing later. */
  reserve(textCapacity: number): void {
    if (textCapacity > this.textCapacity) this.grow(textCapacity);
  }

  /** Moves the match state back to the root (a new request on a static automaton). */
  resetMatch(): void {
    this.matchState = 0;
    this.matchLength = 0;
  }

  /** Target of the transition (state, token), or -1. */
  get(state: number, token: number): number {
    const e = this.findEdge(state, token);
    return e < 0 ? -1 : this.edgeTarget[e];
  }

  /** Number of transitions out of `state`. */
  degree(state: number): number {
    let n = 0;
    for (let e = this.firstEdge[state]; e >= 0; e = this.edgeNext[e]) n++;
    return n;
  }

  /**
   * The authors' `transfer_state`: from (state, len), back off along suffix links until `token` has a
   * transition, then follow it. Result in `outState` / `outLength`; (0, 0) when no suffix continues with it.
   */
  transfer(state: number, len: number, token: number): void {
    let e = this.findEdge(state, token);
    while (state !== 0 && e < 0) {
      state = this.link[state];
      len = this.length[state];
      e = this.findEdge(state, token);
    }
    if (e >= 0) {
      this.outState = this.edgeTarget[e];
      this.outLength = len + 1;
    } else {
      this.outState = 0;
      this.outLength = 0;
    }
  }

  /** Where the match state would go with `token` (nothing moves): `outState` / `outLength`. */
  lookup(token: number): void {
    this.transfer(this.matchState, this.matchLength, token);
  }

  /** Moves the match state with `token` (a static automaton at inference: the text is not extended). */
  advance(token: number): void {
    this.transfer(this.matchState, this.matchLength, token);
    this.matchState = this.outState;
    this.matchLength = this.outLength;
  }

  /**
   * Commits `token` to a dynamic automaton: first the match state moves (so it matches against strictly
   * earlier text), then the text is extended with it.
   */
  commit(token: number): void {
    this.advance(token);
    this.extend(token);
  }

  /** Appends `token` to the text (online construction; the match state does not move). */
  extend(token: number): void {
    if (this.textLength + 1 > this.textCapacity) this.grow(this.textCapacity * 2);
    const pos = ++this.textLength;
    this.text[pos] = token;
    const cur = this.newState(pos, -1, pos);
    const link = this.link;
    let p = this.last;
    while (p !== -1 && this.findEdge(p, token) < 0) {
      this.addEdge(p, token, cur);
      p = link[p];
    }
    if (p === -1) {
      link[cur] = 0;
    } else {
      const q = this.edgeTarget[this.findEdge(p, token)];
      if (this.length[p] + 1 === this.length[q]) {
        link[cur] = q;
      } else {
        const clone = this.newState(this.length[p] + 1, link[q], this.minEndpos[q]);
        for (let e = this.firstEdge[q]; e >= 0; e = this.edgeNext[e]) this.addEdge(clone, this.edgeToken[e], this.edgeTarget[e]);
        while (p !== -1) {
          const e = this.findEdge(p, token);
          if (this.edgeTarget[e] !== q) break;
          this.edgeTarget[e] = clone;
          p = link[p];
        }
        link[q] = clone;
        link[cur] = clone;
      }
    }
    this.last = cur;
  }

  /**
   * |endpos| of every state (number of end positions of its substrings; the root's is 0, as the authors'
   * online counter leaves it): 1 for each state created as a text position, summed up the suffix-link tree
   * in order of decreasing length. O(states); equal to the authors' online count along suffix links.
   */
  endposCounts(): Int32Array {
    const n = this.stateCount;
    const cnt = new Int32Array(n);
    // A state made by `extend` for position k has length k and minEndpos k; a clone has length < minEndpos.
    for (let s = 1; s < n; s++) if (this.length[s] === this.minEndpos[s]) cnt[s] = 1;
    const byLength = new Int32Array(this.textLength + 2);
    for (let s = 0; s < n; s++) byLength[this.length[s] + 1]++;
    for (let i = 1; i < byLength.length; i++) byLength[i] += byLength[i - 1];
    const order = new Int32Array(n);
    for (let s = 0; s < n; s++) order[byLength[this.length[s]]++] = s;
    for (let i = n - 1; i > 0; i--) {
      const s = order[i];
      const l = this.link[s];
      if (l > 0) cnt[l] += cnt[s];
    }
    return cnt;
  }

  /** Bytes held by the typed arrays. */
  get bytes(): number {
    return this.text.byteLength + 5 * this.link.byteLength + this.edgeFrom.byteLength * 4 + this.slots.byteLength;
  }

  private newState(len: number, link: number, minEndpos: number): number {
    const s = this.stateCount++;
    this.length[s] = len;
    this.link[s] = link;
    this.minEndpos[s] = minEndpos;
    this.firstEdge[s] = -1;
    this.lastEdge[s] = -1;
    return s;
  }

  private slotOf(state: number, token: number): number {
    let h = (Math.imul(state, 0x9e3779b1) ^ Math.imul(token + 0x632be5ab, 0x85ebca6b)) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & this.slotMask;
  }

  private findEdge(state: number, token: number): number {
    const slots = this.slots;
    const mask = this.slotMask;
    for (let i = this.slotOf(state, token); ; i = (i + 1) & mask) {
      const e = slots[i];
      if (e < 0) return -1;
      if (this.edgeFrom[e] === state && this.edgeToken[e] === token) return e;
    }
  }

  private addEdge(state: number, token: number, target: number): void {
    const e = this.edgeCount++;
    this.edgeFrom[e] = state;
    this.edgeToken[e] = token;
    this.edgeTarget[e] = target;
    this.edgeNext[e] = -1;
    const tail = this.lastEdge[state];
    if (tail < 0) this.firstEdge[state] = e;
    else this.edgeNext[tail] = e;
    this.lastEdge[state] = e;
    this.insertSlot(e);
  }

  private insertSlot(e: number): void {
    const mask = this.slotMask;
    let i = this.slotOf(this.edgeFrom[e], this.edgeToken[e]);
    while (this.slots[i] >= 0) i = (i + 1) & mask;
    this.slots[i] = e;
  }

  /** Reallocates for a text of `textCapacity` tokens (≤ 2n states, ≤ 3n transitions), keeping the contents. */
  private grow(textCapacity: number): void {
    if (textCapacity > 0x3fffffff) throw new TrbenchError(`a suffix automaton holds at most 2^30 tokens, asked for ${textCapacity}`);
    const states = 2 * textCapacity + 2;
    const edges = 3 * textCapacity + 4;
    const widen = (a: Int32Array, n: number) => {
      const b = new Int32Array(n);
      b.set(a.subarray(0, Math.min(a.length, n)));
      return b;
    };
    this.text = widen(this.text, textCapacity + 1);
    this.link = widen(this.link, states);
    this.length = widen(this.length, states);
    this.minEndpos = widen(this.minEndpos, states);
    this.firstEdge = widen(this.firstEdge, states);
    this.lastEdge = widen(this.lastEdge, states);
    this.edgeFrom = widen(this.edgeFrom, edges);
    this.edgeToken = widen(this.edgeToken, edges);
    this.edgeTarget = widen(this.edgeTarget, edges);
    this.edgeNext = widen(this.edgeNext, edges);
    let size = 16;
    while (size < 2 * edges) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.slotMask = size - 1;
    for (let e = 0; e < this.edgeCount; e++) this.insertSlot(e);
    this.textCapacity = textCapacity;
  }
}
