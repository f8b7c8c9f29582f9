import { TrbenchError } from '@trbench/core';
import { SuffixAutomaton } from './automaton.ts';

/** How a static automaton is built from a corpus. */
export interface StaticCorpusOptions {
  vocabSize: number;
  /** Appended after each document that does not already end in it (-1: no separator). */
  eos: number;
  /** The authors also append every vocabulary id as its own one-token document (default true). */
  vocabDocuments?: boolean;
  /** Names the corpus in records and messages. */
  name: string;
}

/**
 * The static suffix automaton of SAM-Decoding: built once from a token corpus and never extended at
 * inference (a drafter keeps its own match state and moves it with `transfer`). Documents are concatenated,
 * each followed by EOS unless it already ends in one, then every vocabulary id as its own document, as the
 * authors' `gen_sam_*.py` build it. An empty corpus (no documents, no vocabulary documents) is the
 * authors' `NullStaticSAM`: every lookup gives length 0.
 *
 * Read-only after construction, so one instance may serve several drafters; the |endpos| counts and each
 * state's top-K transitions (for SAM-only's static tree) are computed on first use.
 */
export class StaticCorpus {
  readonly sam: SuffixAutomaton;
  readonly name: string;
  readonly documents: number;
  private counts: Int32Array | null = null;
  private topStart: Int32Array | null = null;
  private topEdges: Int32Array | null = null;
  private topK = 0;

  constructor(documents: readonly ArrayLike<number>[], options: StaticCorpusOptions) {
    const { vocabSize, eos } = options;
    const vocabDocs = options.vocabDocuments ?? true;
    let total = 0;
    for (const d of documents) total += d.length + 1;
    if (vocabDocs) total += 2 * vocabSize;
    const sam = new SuffixAutomaton(total);
    const add = (doc: ArrayLike<number>, where: string) => {
      if (doc.length === 0) return;
      for (let i = 0; i < doc.length; i++) {
        const t = doc[i];
        if (!Number.isInteger(t) || t < 0 || t >= vocabSize)
          throw new TrbenchError(`${options.name}: ${where}, token ${i}: ${t} is not a token id of this model (vocabulary ${vocabSize})`);
        sam.extend(t);
      }
      if (eos >= 0 && doc[doc.length - 1] !== eos) sam.extend(eos);
    };
    documents.forEach((d, i) => add(d, `document ${i + 1}`));
    if (vocabDocs) {
      const one = new Int32Array(1);
      for (let v = 0; v < vocabSize; v++) {
        one[0] = v;
        add(one, `vocabulary document ${v}`);
      }
    }
    this.sam = sam;
    this.name = options.name;
    this.documents = documents.length;
  }

  /** An empty static automaton (the authors' NullStaticSAM). */
  static empty(): StaticCorpus {
    return new StaticCorpus([], { vocabSize: 0, eos: -1, vocabDocuments: false, name: 'none' });
  }

  /** Tokens in the automaton's text (corpus, separators and vocabulary documents). */
  get tokens(): number {
    return this.sam.textLength;
  }

  /** |endpos| per state (computed once). */
  endposCounts(): Int32Array {
    if (!this.counts) this.counts = this.sam.endposCounts();
    return this.counts;
  }

  /**
   * Each state's `k` most frequent transitions (by the target's |endpos|, descending; equal counts keep the
   * transitions' insertion order, as the authors' stable `sorted(..., reverse=True)` does), as edge ids:
   * `edges.subarray(start[s], start[s + 1])`. Computed once per k.
   */
  topTransitions(k: number): { start: Int32Array; edges: Int32Array } {
    if (this.topStart && this.topEdges && this.topK === k) return { start: this.topStart, edges: this.topEdges };
    const sam = this.sam;
    const cnt = this.endposCounts();
    const n = sam.stateCount;
    const start = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) start[s + 1] = start[s] + Math.min(k, sam.degree(s));
    const edges = new Int32Array(start[n]);
    const scratch: number[] = [];
    for (let s = 0; s < n; s++) {
      scratch.length = 0;
      for (let e = sam.firstEdge[s]; e >= 0; e = sam.edgeNext[e]) scratch.push(e);
      if (scratch.length > 1) scratch.sort((a, b) => cnt[sam.edgeTarget[b]] - cnt[sam.edgeTarget[a]]); // stable
      for (let i = 0; i < start[s + 1] - start[s]; i++) edges[start[s] + i] = scratch[i];
    }
    this.topStart = start;
    this.topEdges = edges;
    this.topK = k;
    return { start, edges };
  }
}
