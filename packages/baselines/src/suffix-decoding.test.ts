import { AutoregressiveDrafter, DecodeLoop, Draft, TokenHistory } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { SUFFIX_DEFAULTS, SUFFIX_VLLM_DEFAULTS, SUFFIX_VLLM_UPSTREAM_DEFAULTS, SuffixDecodingDrafter } from './suffix-decoding.ts';

const V = 50;
// A 7-cycle: outputs repeat, so suffix matches appear within one request.
const next = (t: number) => (t % 7) + 1;

function generate(drafter: SuffixDecodingDrafter, prompt: number[], maxNewTokens = 40) {
  const model = new BigramModel({ vocabSize: V, next, maxDraftNodes: drafter.maxDraftNodes });
  return new DecodeLoop(model, drafter).generate(Int32Array.from(prompt), { maxNewTokens });
}

describe('SuffixDecodingDrafter', () => {
  it('matches plain decoding and drafts from the per-request tree once the output repeats', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS });
    const result = generate(drafter, [1], 60);
    const plain = new DecodeLoop(new BigramModel({ vocabSize: V, next }), new AutoregressiveDrafter()).generate(Int32Array.from([1]), {
      maxNewTokens: 60,
    });
    expect(Array.from(result.tokens)).toEqual(Array.from(plain.tokens));
    expect(result.meanAcceptedTokens).toBeGreaterThan(2);
  });

  it('adds each whole output (final step included) to the global tree and evicts FIFO', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS, maxCachedRequests: 2 });
    const outputs: number[][] = [];
    for (const prompt of [[1], [3], [5]]) outputs.push(Array.from(generate(drafter, prompt, 13).tokens));
    expect(drafter.global.sequenceCount).toBe(2);
    // The two latest outputs are there in full (13 tokens, within the depth limit); prompts are not.
    const occurrences = (s: number[]) => drafter.global.occurrences(s);
    expect(occurrences(outputs[1])).toBe(1);
    expect(occurrences(outputs[2])).toBe(1);
    expect(occurrences(outputs[0])).toBe(0);
    expect(drafter.global.occurrences([])).toBe(26);
  });

  it('takes the global draft when it scores higher than the per-request one', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS });
    generate(drafter, [1], 30); // the global tree now knows the 7-cycle
    const h = new TokenHistory();
    h.begin(Int32Array.from([9, 9, 2, 3]), 8);
    drafter.beginRequest(h);
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(h, draft);
    expect(drafter.lastSource).toBe('global');
    // "2 3" is the longest match (m = 2), so at most 2 tokens.
    expect(Array.from(draft.tokens.subarray(1, draft.count))).toEqual([4, 5]);
    drafter.endRequest(h);
  });

  it('with the global cache off (0) only the per-request tree drafts', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS, maxCachedRequests: 0 });
    generate(drafter, [1], 30);
    expect(drafter.global.sequenceCount).toBe(0);
    const result = generate(drafter, [2], 30);
    expect(result.meanAcceptedTokens).toBeGreaterThan(1);
  });

  it('limits the draft to α × match length tokens', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS, maxCachedRequests: 0, alpha: 0.5 });
    const h = new TokenHistory();
    const prompt = [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4];
    h.begin(Int32Array.from(prompt), 8);
    drafter.beginRequest(h);
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(4);
    drafter.propose(h, draft);
    // Longest match "4 5 6 7 1 2 3 4" (11 tokens, the other occurrence continues) → at most ⌊0.5·11⌋ = 5.
    expect(draft.count - 1).toBeLessThanOrEqual(5);
    expect(draft.count - 1).toBeGreaterThan(0);
    expect(Array.from(draft.tokens.subarray(1, draft.count))).toEqual([5, 6, 7, 1, 2].slice(0, draft.count - 1));
  });

  it('vLLM presets: no draft on the first step (the prefill token), then drafts; suffix-vllm cuts to 16 tokens', () => {
    for (const preset of [SUFFIX_VLLM_DEFAULTS, SUFFIX_VLLM_UPSTREAM_DEFAULTS]) {
      const drafter = new SuffixDecodingDrafter({ ...preset });
      // A prompt that already holds the cycle twice: the simulator would draft on the first step.
      const prompt = [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1];
      const result = generate(drafter, prompt, 60);
      expect(result.acceptLengths[0]).toBe(1);
      expect(result.draftNodes[0]).toBe(1);
      expect(result.draftNodes[1]).toBeGreaterThan(1);
      const plain = new DecodeLoop(new BigramModel({ vocabSize: V, next }), new AutoregressiveDrafter()).generate(Int32Array.from(prompt), {
        maxNewTokens: 60,
      });
      expect(Array.from(result.tokens)).toEqual(Array.from(plain.tokens));
      // Paths: one child per node. At most 16 (plugin) / 24 (upstream) draft tokens per step.
      const cap = preset.maxDraftTokens ?? preset.maxSpecTokens;
      expect(Math.max(...result.draftNodes) - 1).toBeLessThanOrEqual(cap);
      // The plugin's 63-token paths are cut to 16; upstream's depth 24 bounds match + draft, so ≤ 12 here.
      expect(Math.max(...result.draftNodes) - 1).toBe(preset.maxDraftTokens ? 16 : 12);
      const simulator = generate(new SuffixDecodingDrafter({ ...SUFFIX_DEFAULTS }), prompt, 60);
      expect(simulator.draftNodes[0]).toBeGreaterThan(1);
    }
  });

  it('suffix-vllm speculates the whole path (up to 63 tokens here), then keeps its first 16', () => {
    // A long repeated run: the longest match scores its whole (up to 63-token) path, then 16 are kept.
    const cut = new SuffixDecodingDrafter({ ...SUFFIX_VLLM_DEFAULTS, firstTokenFromPrefill: false });
    const h = new TokenHistory();
    const cycle = Array.from({ length: 40 }, (_, i) => 2 + i);
    h.begin(Int32Array.from([1, ...cycle, ...cycle, ...cycle.slice(0, 30)]), 8);
    cut.beginRequest(h, null, null, { maxNewTokens: 8, contextSize: 512 });
    const draft = new Draft(cut.maxDraftNodes);
    draft.reset(h.at(h.length - 1) as number);
    cut.propose(h, draft);
    expect(cut.maxDraftNodes).toBe(17);
    expect(Array.from(draft.tokens.subarray(1, draft.count))).toEqual(cycle.slice(30, 40).concat(cycle.slice(0, 6)));
    expect(cut.lastDraftSource).toBe('suffix-local');
  });

  it('capToContext: never speculates past contextSize − tokens − 1', () => {
    const drafter = new SuffixDecodingDrafter({ ...SUFFIX_VLLM_UPSTREAM_DEFAULTS, firstTokenFromPrefill: false });
    const h = new TokenHistory();
    const prompt = [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3];
    h.begin(Int32Array.from(prompt), 8);
    drafter.beginRequest(h, null, null, { maxNewTokens: 8, contextSize: prompt.length + 4 });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(h, draft);
    // 21 − 17 − 1 = 3 tokens at most (the loop itself would allow 4).
    expect(Array.from(draft.tokens.subarray(1, draft.count))).toEqual([4, 5, 6]);
  });
});
