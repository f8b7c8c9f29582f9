import { InterruptedError } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { chainPaths, TreeTemplate } from '../template.ts';
import { AcceptanceStats } from './acceptance-stats.ts';
import { describeTuned, type TunedTemplateFile } from './auto-template.ts';
import { parseTuneBudget, planTuning } from './budget.ts';
import { bestByGain, type Candidate, calibrationPaths, expectedAccepted, FINAL_CHAINS, tuneTemplate } from './tune.ts';

describe('AcceptanceStats', () => {
  it('estimates rates with a pull towards the pooled rank rate and falls back for unseen depths', () => {
    const s = new AcceptanceStats(4, 2);
    for (let i = 0; i < 9; i++) s.record(1, 0, i < 6); // 6/9 at depth 1
    for (let i = 0; i < 3; i++) s.record(2, 0, true); // 3/3 at depth 2
    const m = s.model();
    const pooled = 9 / 12;
    expect(s.rate(1, 0)).toBeCloseTo(6 / 9, 12);
    expect(m(1, 0)).toBeCloseTo((6 + pooled) / 10, 12);
    expect(m(4, 0)).toBeCloseTo((3 + pooled) / 4, 12); // depth 4 never tried: deepest tried depth
    expect(m(1, 1)).toBe(0); // rank never tried
    expect(Number.isNaN(s.rate(3, 1))).toBe(true);
  });
});

describe('expectedAccepted', () => {
  it('sums path probabilities plus the bonus token', () => {
    const p = (_d: number, r: number) => (r === 0 ? 0.5 : 0.25);
    expect(expectedAccepted([[0], [1], [0, 0]], p)).toBeCloseTo(1 + 0.5 + 0.25 + 0.25, 12);
  });
});

describe('calibrationPaths', () => {
  it('covers every rank along the rank-0 spine and stays prefix-closed', () => {
    const paths = calibrationPaths(8, 8, 128);
    const t = new TreeTemplate('cal', paths);
    for (let d = 1; d <= 8; d++)
      for (let r = 0; r < 8; r++)
        expect(paths.some((p) => p.length === d && p[d - 1] === r && p.slice(0, -1).every((x) => x === 0))).toBe(true);
    expect(t.nodes).toBeLessThanOrEqual(128);
  });
});

describe('tuneTemplate (mock model: checks the mechanics, not speed)', () => {
  it('measures, grows candidates per budget and returns a valid template', async () => {
    const V = 40;
    const model = new BigramModel({ vocabSize: V, next: (t) => (t * 3 + 1) % V, maxDraftNodes: 32 });
    const prompts = [Int32Array.from([1, 2, 3]), Int32Array.from([5, 6])];
    const lines: string[] = [];
    const phases: string[] = [];
    const r = await tuneTemplate({
      model,
      modelSha256: '0'.repeat(64),
      prompts,
      maxNewTokens: 20,
      maxNodes: 32,
      maxDepth: 6,
      iterations: 2,
      log: (l) => lines.push(l),
      progress: (label, total) => {
        phases.push(`${label}/${total}`);
        return { update: () => {}, stop: () => {} };
      },
    });
    // Progress for every phase, sized in prompt runs (2 prompts; round 1: 3 passes × 2 prompts × lanes).
    expect(phases.slice(0, 3)).toEqual(['calibration/2', 'cost curve/8', 'plain decoding/2']);
    expect(phases[3]).toMatch(/^round 1: (\d+) trees \+ plain decoding\/\d+$/);
    expect(r.budgets).toHaveLength(32);
    expect(r.costCurve.sizes[0]).toBe(1);
    expect(r.candidates.length).toBeGreaterThanOrEqual(1);
    const t = new TreeTemplate(r.name, r.paths);
    expect(t.nodes).toBe(r.nodes);
    // On a bigram model the matrix learns the true continuation: once a row is filled rank 0 is accepted,
    // and rank 1 (next + 1) never is.
    expect(r.calibrationStats.rates[0][0]).toBeGreaterThan(0.5);
    expect(r.calibrationStats.rates[0][1]).toBe(0);
    expect(lines.some((l) => l.startsWith('round 1'))).toBe(true);
    // Every candidate was measured against plain decoding; a tree is kept only with a significant gain.
    for (const c of r.candidates) expect(c.gain?.estimate).toBeGreaterThan(0);
    if (r.plain) {
      expect(r).toMatchObject({ name: 'plain', nodes: 1, paths: [] });
      expect(lines.some((l) => l.includes('keeping plain decoding'))).toBe(true);
    } else {
      // The choice is made in the final round: the same tree also has an earlier round's (non-final) entry
      // with its own gain (and may be measured twice there if it is also a chain), so look at its final entries.
      const finals = r.candidates.filter((c) => c.final && JSON.stringify(c.paths) === JSON.stringify(r.paths));
      expect(finals.length).toBeGreaterThan(0);
      expect(Math.max(...finals.map((c) => c.gain?.low ?? 0))).toBeGreaterThan(1);
    }
  });
});

describe('the tuner is never worse than a chain (issue 30)', () => {
  const V = 40;
  const model = () => new BigramModel({ vocabSize: V, next: (t) => (t * 3 + 1) % V, maxDraftNodes: 32 });
  const prompts = [Int32Array.from([1, 2, 3]), Int32Array.from([5, 6]), Int32Array.from([9, 4])];

  it('keeps chain:2 when the injected cost model makes every bigger draft dear', async () => {
    // Injected time model, no clock: a step of n nodes costs t(n) = 1 for n <= 3, 10 beyond (a backend whose
    // batched kernel only starts at 4 tokens). On the bigram mock every filled row is right, so chain:2 (two
    // drafts, 3 nodes) accepts ~2 drafts per step at the price of one token: it must be the choice.
    const t = (n: number) => (n <= 3 ? 1 : 10);
    const r = await tuneTemplate({
      model: model(),
      modelSha256: '0'.repeat(64),
      prompts,
      maxNewTokens: 24,
      maxNodes: 16,
      maxDepth: 6,
      iterations: 2,
      timeRun: ({ nodes, steps }) => steps * t(nodes),
    });
    expect(r.plain).toBe(false);
    expect(r.paths).toEqual(chainPaths(2));
    // The choice was made in the final round, where chain:2 and chain:3 were measured next to the best tree.
    const finals = r.candidates.filter((c) => c.final);
    for (const n of FINAL_CHAINS)
      expect(finals.some((c) => c.paths.length === n && c.paths.every((p, d) => p.length === d + 1))).toBe(true);
    const chosen = finals.find((c) => c.nodes === r.nodes)!;
    for (const c of finals) expect(chosen.gain!.estimate).toBeGreaterThanOrEqual(c.gain!.estimate);
  });

  it('keeps a wider tree when nodes are free, but only one that beat both chains side by side', async () => {
    const r = await tuneTemplate({
      model: model(),
      modelSha256: '0'.repeat(64),
      prompts,
      maxNewTokens: 24,
      maxNodes: 16,
      maxDepth: 6,
      iterations: 2,
      timeRun: ({ steps }) => steps, // every draft costs one token (a GPU at batch 1)
    });
    const finals = r.candidates.filter((c) => c.final);
    const chains = finals.filter((c) => c.nodes <= 4 && c.paths.every((p) => p.every((x) => x === 0)));
    expect(chains).toHaveLength(2);
    expect(r.nodes).toBeGreaterThan(4);
    const chosen = finals.find((c) => c.nodes === r.nodes)!;
    for (const c of chains) expect(chosen.gain!.estimate).toBeGreaterThan(c.gain!.estimate);
  });

  it('ranks candidates by their paired gain, not by raw speed from different rounds', () => {
    const c = (nodes: number, speed: number, gain: number | null): Candidate => ({
      nodes,
      paths: chainPaths(nodes - 1),
      predictedTokensPerSecond: 0,
      expectedAccepted: 1,
      calibrationTokensPerSecond: speed,
      calibrationMeanAccepted: 1,
      gain: gain === null ? null : { estimate: gain, low: gain, high: gain },
    });
    // The 4-node tree ran in a quiet round (more tok/s) but gained less over plain decoding measured beside it.
    expect(bestByGain([c(4, 900, 1.1), c(3, 700, 1.3)])?.nodes).toBe(3);
    expect(bestByGain([c(4, 900, 1.3), c(3, 700, 1.3)])?.nodes).toBe(3);
    expect(bestByGain([c(4, 900, null), c(3, 700, 1.0)])?.nodes).toBe(3);
    expect(bestByGain([])).toBeNull();
  });
});

describe('tuning budget', () => {
  it('parses durations and names the field on bad input', () => {
    expect(parseTuneBudget('60s', 'x')).toBe(60);
    expect(parseTuneBudget('2m', 'x')).toBe(120);
    expect(parseTuneBudget('90', 'x')).toBe(90);
    expect(parseTuneBudget(45, 'x')).toBe(45);
    expect(() => parseTuneBudget('soon', 'tuneBudget')).toThrow(/tuneBudget must be a duration > 0 .* got "soon"/);
    expect(() => parseTuneBudget('0s', '--tune-budget')).toThrow(/--tune-budget/);
  });

  it('sizes the run to the budget from measured step times and keeps the knobs it is told to keep', async () => {
    const V = 40;
    const model = new BigramModel({ vocabSize: V, next: (t) => (t * 3 + 1) % V, maxDraftNodes: 128 });
    const prompts = Array.from({ length: 24 }, (_, i) => Int32Array.from([1 + (i % 30), 2]));
    const base = { k: 8, maxDepth: 12, passes: 3, iterations: 3, maxNodes: 128, maxNewTokens: 128 };
    const roomy = await planTuning(model, prompts, { ...base, budgetSeconds: 1e9, fixed: {} });
    expect(roomy).toMatchObject({ prompts: 24, maxNewTokens: 128, maxNodes: 128, curveRepeats: 7, overBudget: false });
    expect(roomy.expectedSeconds).toBeGreaterThan(0);
    const tight = await planTuning(model, prompts, { ...base, budgetSeconds: 1e-9, fixed: {} });
    expect(tight).toMatchObject({ prompts: 3, maxNewTokens: 32, maxNodes: 16, curveRepeats: 3, overBudget: true });
    const kept = await planTuning(model, prompts, { ...base, budgetSeconds: 1e-9, fixed: { maxNewTokens: true, maxNodes: true } });
    expect(kept).toMatchObject({ maxNewTokens: 128, maxNodes: 128 });
    // A budget between the extremes: what the plan expects fits it.
    const middle = await planTuning(model, prompts, { ...base, budgetSeconds: roomy.expectedSeconds / 3, fixed: {} });
    expect(middle.overBudget).toBe(false);
    expect(middle.expectedSeconds).toBeLessThanOrEqual(roomy.expectedSeconds / 3);
  });

  it('stops at the next decode step when its signal is aborted mid-phase', async () => {
    const V = 40;
    const model = new BigramModel({ vocabSize: V, next: (t) => (t * 3 + 1) % V, maxDraftNodes: 32 });
    const controller = new AbortController();
    const run = tuneTemplate({
      model,
      modelSha256: '0'.repeat(64),
      prompts: [Int32Array.from([1, 2, 3])],
      maxNewTokens: 20,
      maxNodes: 32,
      signal: controller.signal,
      progress: (label) => ({
        update: () => {
          if (label === 'plain decoding') controller.abort(new InterruptedError('SIGTERM'));
        },
        stop: () => {},
      }),
    });
    await expect(run).rejects.toMatchObject({ name: 'InterruptedError', signal: 'SIGTERM' });
  });
});

describe('describeTuned', () => {
  const base = {
    k: 8,
    expectedAccepted: 1,
    predictedTokensPerSecond: 3000,
    calibrationTokensPerSecond: 3100,
    plainStepMs: 0.3,
    autoregressiveTokensPerSecond: 3200,
    budgets: [],
    key: {},
    createdAt: '',
  } as unknown as TunedTemplateFile;
  const candidate = (nodes: number, speed: number, low: number, high: number) => ({
    nodes,
    paths: chainPaths(nodes - 1),
    predictedTokensPerSecond: speed,
    expectedAccepted: 1.5,
    calibrationTokensPerSecond: speed,
    calibrationMeanAccepted: 1.5,
    gain: { estimate: (low + high) / 2, low, high },
  });

  it('says when --template auto keeps plain decoding, and why', () => {
    const r = {
      ...base,
      name: 'plain',
      plain: true,
      nodes: 1,
      paths: [],
      candidates: [candidate(2, 2715.6, 0.7, 0.8), candidate(3, 2600, 0.6, 0.7)],
    };
    expect(describeTuned(r, '/c/x.json', true)).toBe(
      '--template auto resolves to plain decoding: no tree was significantly faster on calibration (plain decoding 3200.0 tok/s; ' +
        'best tree 2 nodes, 2715.6 tok/s, 0.75× [0.70, 0.80]); cached in /c/x.json',
    );
  });

  it('names the tree it uses: nodes, depth, predicted and measured speed, gain, new or cached', () => {
    const c = candidate(4, 4000, 1.1, 1.3);
    const r = {
      ...base,
      name: 'tuned-4',
      plain: false,
      nodes: 4,
      paths: c.paths,
      predictedTokensPerSecond: 4100,
      calibrationTokensPerSecond: 4000,
      candidates: [c],
    };
    expect(describeTuned(r, '/c/y.json', false)).toBe(
      '--template auto uses tuned-4 (4 nodes, depth 3): predicted 4100.0 tok/s, measured 4000.0 tok/s on calibration ' +
        '(plain decoding 3200.0 tok/s), gain 1.20× [1.10, 1.30]; new, saved in /c/y.json',
    );
  });
});
