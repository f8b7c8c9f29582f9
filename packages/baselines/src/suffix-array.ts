import { Pacer } from '@trbench/core';

/**
 * Suffix array of `text` (token ids in [0, alphabet)) by prefix doubling with two counting sorts per round:
 * O(n log n) time, 4 Int32Arrays of n. Suffixes are in lexicographic order with a shorter suffix before
 * any longer one it prefixes (the end of the text sorts first), as in REST's libsais-built arrays.
 */
export function buildSuffixArray(text: Int32Array, alphabet: number): Int32Array {
  const rounds = suffixArrayRounds(text, alphabet);
  for (;;) {
    const r = rounds.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link buildSuffixArray} for async callers: hands the event loop a turn between doubling rounds (every
 * ~50 ms) and stops there once `signal` is aborted (InterruptedError). `onRound(sorted, n)`: suffixes
 * already told apart after each round (the array is done when sorted = n).
 */
export async function buildSuffixArrayAsync(
  text: Int32Array,
  alphabet: number,
  options: { signal?: AbortSignal; onRound?: (sorted: number, n: number) => void } = {},
): Promise<Int32Array> {
  const pacer = new Pacer(options.signal);
  const rounds = suffixArrayRounds(text, alphabet);
  for (;;) {
    const r = rounds.next();
    if (r.done) return r.value;
    options.onRound?.(r.value, text.length);
    if (pacer.due()) await pacer.pause();
  }
}

/** The prefix-doubling rounds; yields the number of distinct ranks after each, returns the array. */
function* suffixArrayRounds(text: Int32Array, alphabet: number): Generator<number, Int32Array, void> {
  const n = text.length;
  const sa = new Int32Array(n);
  if (n === 0) return sa;
  let rank = new Int32Array(n);
  let tmp = new Int32Array(n);
  const count = new Int32Array(Math.max(alphabet, n) + 1);
  for (let i = 0; i < n; i++) {
    const t = text[i];
    if (t < 0 || t >= alphabet) throw new RangeError(`token ${t} at ${i} is outside [0, ${alphabet})`);
    count[t]++;
  }
  for (let v = 1; v < alphabet; v++) count[v] += count[v - 1];
  for (let i = n - 1; i >= 0; i--) sa[--count[text[i]]] = i;
  // Dense initial ranks (equal tokens share a rank).
  let classes = 1;
  rank[sa[0]] = 0;
  for (let j = 1; j < n; j++) {
    if (text[sa[j]] !== text[sa[j - 1]]) classes++;
    rank[sa[j]] = classes - 1;
  }
  for (let k = 1; classes < n; k <<= 1) {
    // Order by the second key (rank of i+k; suffixes without one come first), then stably by the first.
    let p = 0;
    for (let i = n - k; i < n; i++) tmp[p++] = i;
    for (let j = 0; j < n; j++) if (sa[j] >= k) tmp[p++] = sa[j] - k;
    count.fill(0, 0, classes);
    for (let i = 0; i < n; i++) count[rank[i]]++;
    for (let v = 1; v < classes; v++) count[v] += count[v - 1];
    for (let j = n - 1; j >= 0; j--) {
      const i = tmp[j];
      sa[--count[rank[i]]] = i;
    }
    tmp[sa[0]] = 0;
    classes = 1;
    for (let j = 1; j < n; j++) {
      const a = sa[j - 1];
      const b = sa[j];
      const ra = a + k < n ? rank[a + k] : -1;
      const rb = b + k < n ? rank[b + k] : -1;
      if (rank[a] !== rank[b] || ra !== rb) classes++;
      tmp[b] = classes - 1;
    }
    const swap = rank;
    rank = tmp;
    tmp = swap;
    yield classes;
  }
  return sa;
}

/**
 * Range `[lo, hi)` of suffix-array entries whose suffix starts with `query[qStart .. qStart+qLen)`,
 * by two binary searches (REST's lookup). Writes into `out` and returns the range size.
 */
export function suffixRange(
  text: Int32Array,
  sa: Int32Array,
  query: { at(i: number): number | undefined },
  qStart: number,
  qLen: number,
  out: { lo: number; hi: number },
): number {
  const n = sa.length;
  // lower bound: first suffix >= query (as a prefix comparison)
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePrefix(text, sa[mid], query, qStart, qLen) < 0) lo = mid + 1;
    else hi = mid;
  }
  const first = lo;
  hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePrefix(text, sa[mid], query, qStart, qLen) <= 0) lo = mid + 1;
    else hi = mid;
  }
  out.lo = first;
  out.hi = lo;
  return lo - first;
}

/** Compares the suffix at `pos`, cut to qLen tokens, with the query: <0, 0 (starts with it) or >0. */
function comparePrefix(text: Int32Array, pos: number, query: { at(i: number): number | undefined }, qStart: number, qLen: number): number {
  const n = text.length;
  for (let j = 0; j < qLen; j++) {
    if (pos + j >= n) return -1;
    const a = text[pos + j];
    const b = query.at(qStart + j) as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
