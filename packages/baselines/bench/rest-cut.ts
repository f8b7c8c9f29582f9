/**
 * REST's tree size and MAT on the story suite, with REST's `cut_to_choices` (the default) and without it
 * (`cut: none`), on stories260K (llama.cpp, CPU; deterministic, not a timing).
 *
 *   npx tsx bench/rest-cut.ts --datastore FILE [--max-new-tokens 200]
 *
 * Per setting: MAT and nodes per step (draft size per decode step, root included) from a decode of the 48
 * stories checked against plain decoding, and nodes per tree (drafted nodes, root excluded) over every
 * context of the 48 plain greedy runs (prompt + each prefix of the output, as a replay of REST's retriever
 * would see them), with how many of those contexts miss. Last, the same contexts through a replay of the
 * authors' selection and cut with their tie orders drawn at random (`--random-ties R` rounds): the top-64
 * heap fed in a random order (REST iterates a HashMap) and `cut_to_choices` on a random order (a HashSet),
 * the tree being the prefix closure of the kept paths — what REST's trees measure on average.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Draft, Rng, TokenHistory } from '@trbench/core';
import { Datastore } from '../src/datastore.ts';
import { PrefixTrie } from '../src/prefix-trie.ts';
import { REST_DEFAULTS, type RestCut, RestDrafter } from '../src/rest.ts';
import { suffixRange } from '../src/suffix-array.ts';
import { compareWithReference, prepareSuite } from '../src/testing/lossless-harness.ts';
import { openStories260K } from '../src/testing/open-stories.ts';
import { storySuite } from '../src/testing/suites.ts';

const { values } = parseArgs({
  options: {
    datastore: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '200' },
    'random-ties': { type: 'string', default: '3' },
  },
});
if (!values.datastore) throw new Error('--datastore FILE is required');
const maxNew = Number(values['max-new-tokens']);
const { model, sha256 } = await openStories260K(65);
const datastore = Datastore.load(values.datastore, sha256);
const prompts = prepareSuite(model, storySuite(), maxNew);
process.stdout.write(
  `datastore ${path.basename(values.datastore)} (${datastore.documentCount} documents, ${datastore.tokens.length} tokens)\n`,
);
process.stdout.write(
  '| cut | miss token | MAT | nodes per step (root incl.) | contexts | nodes per tree (root excl.) | misses | lossless |\n',
);
process.stdout.write('|---|---|---:|---:|---:|---:|---:|---|\n');
for (const [cut, missToken] of [
  ['choices', 100],
  ['none', 100],
  ['none', null],
] as [RestCut, number | null][]) {
  const options = { ...REST_DEFAULTS, cut, missToken };
  const outcome = compareWithReference(model, new RestDrafter(datastore, options), prompts, maxNew);
  const drafter = new RestDrafter(datastore, options);
  const draft = new Draft(drafter.maxDraftNodes);
  let contexts = 0;
  let nodes = 0;
  let misses = 0;
  for (const p of prompts) {
    if (p.skipped) continue;
    const all = new Int32Array(p.ids.length + p.reference.length);
    all.set(p.ids);
    all.set(p.reference, p.ids.length);
    for (let end = p.ids.length; end < all.length; end++) {
      const h = new TokenHistory();
      h.begin(all.subarray(0, end), all.length + 1);
      draft.reset(all[end - 1]);
      drafter.propose(h, draft);
      contexts++;
      if (drafter.lastQueryLength === 0) misses++;
      else nodes += draft.count - 1;
    }
  }
  process.stdout.write(
    `| ${cut} | ${missToken ?? 'none'} | ${outcome.mat.toFixed(3)} | ${outcome.meanDraftNodes.toFixed(2)} | ${contexts} | ${(nodes / (contexts - misses)).toFixed(2)} | ${misses} | ${outcome.identical}/${outcome.identical + outcome.diverged} |\n`,
  );
}

/**
 * REST's draft tree size for one context with its own tie orders drawn from `rng`: the top-`k` heap over the
 * prefix counts in a random order (BinaryHeap of (Reverse(count), path): the top is the lowest count, then the
 * lexicographically largest path; a new prefix enters only with a higher count than the top), then
 * cut_to_choices on the kept paths in a random order (stable sort by distinct ids, descending; drop while the
 * sum exceeds k), and the prefix closure of what is left. Trie ids are lexicographic order.
 */
function authorsTreeSize(trie: PrefixTrie, k: number, rng: Rng, perm: Int32Array, heap: number[], mark: Uint8Array): number {
  const n = trie.size - 1;
  for (let i = 0; i < n; i++) perm[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  // Heap as a sorted-on-demand array (k = 64): "top" = lowest count, then the largest id.
  heap.length = 0;
  const worse = (a: number, b: number) => trie.count[a] < trie.count[b] || (trie.count[a] === trie.count[b] && a > b);
  let top = -1;
  for (let i = 0; i < n; i++) {
    const id = perm[i];
    if (heap.length < k) {
      heap.push(id);
      if (top < 0 || worse(id, top)) top = id;
    } else if (trie.count[id] > trie.count[top]) {
      heap[heap.indexOf(top)] = id;
      top = heap[0];
      for (const h of heap) if (worse(h, top)) top = h;
    }
  }
  for (let i = heap.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  }
  const distinct = (id: number) => {
    const seen = new Set<number>();
    for (let a = id; a > 0; a = trie.parent[a]) seen.add(trie.token[a]);
    return seen.size;
  };
  const cost = new Map(heap.map((id) => [id, distinct(id)]));
  const order = [...heap].sort((a, b) => (cost.get(b) as number) - (cost.get(a) as number));
  let total = 0;
  for (const c of cost.values()) total += c;
  const removed = new Set<number>();
  for (const id of order) {
    if (total <= k) break;
    total -= cost.get(id) as number;
    removed.add(id);
  }
  let nodes = 0;
  for (const id of heap) {
    if (removed.has(id)) continue;
    for (let a = id; a > 0 && mark[a] === 0; a = trie.parent[a]) {
      mark[a] = 1;
      nodes++;
    }
  }
  for (const id of heap) for (let a = id; a > 0 && mark[a] === 1; a = trie.parent[a]) mark[a] = 0;
  return nodes;
}

const rounds = Number(values['random-ties']);
if (rounds > 0) {
  const o = REST_DEFAULTS;
  const trie = new PrefixTrie(o.maxMatches * o.continuation, o.draftTokens);
  const perm = new Int32Array(trie.capacity);
  const mark = new Uint8Array(trie.capacity);
  const heap: number[] = [];
  const range = { lo: 0, hi: 0 };
  const { tokens, suffixArray } = datastore;
  for (let round = 0; round < rounds; round++) {
    const rng = new Rng(1000 + round);
    let contexts = 0;
    let nodes = 0;
    for (const p of prompts) {
      if (p.skipped) continue;
      const all = new Int32Array(p.ids.length + p.reference.length);
      all.set(p.ids);
      all.set(p.reference, p.ids.length);
      for (let end = p.ids.length; end < all.length; end++) {
        const h = new TokenHistory();
        h.begin(all.subarray(0, end), all.length + 1);
        for (let t = Math.min(o.maxQuery, end); t >= o.minQuery; t--) {
          const hits = suffixRange(tokens, suffixArray, h, end - t, t, range);
          if (hits === 0) continue;
          trie.clear();
          const stop = range.lo + Math.min(hits, o.maxMatches);
          for (let j = range.lo; j < stop; j++) {
            const start = suffixArray[j] + t;
            const len = Math.min(o.continuation, tokens.length - start);
            if (len > 0) trie.insertSorted(tokens, start, len);
          }
          if (trie.size === 1) continue;
          nodes += authorsTreeSize(trie, o.draftTokens, rng, perm, heap, mark);
          contexts++;
          break;
        }
      }
    }
    process.stdout.write(
      `authors' random tie orders, round ${round + 1}: ${(nodes / contexts).toFixed(2)} nodes per tree over ${contexts} contexts that hit\n`,
    );
  }
}
model.dispose();
