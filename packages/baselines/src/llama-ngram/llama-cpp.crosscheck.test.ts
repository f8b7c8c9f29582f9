import { Rng } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { openStories260K } from '../testing/open-stories.ts';
import { storySuite } from '../testing/suites.ts';
import { buildDriver, findCompiler } from './crosscheck/build-driver.ts';
import { type CrossConfig, type CrossStream, type NgramMethod, randomStream, runLlamaCpp, runTrbench } from './crosscheck/harness.ts';

// Step-exact against llama.cpp's own code: common/ngram-*.cpp and the n-gram parts of common/speculative.cpp
// of the pinned bundle, compiled with the system C++ compiler (once; cached in .cache/trbench), driven the
// way llama-server drives one slot, on the same token streams as trbench's drafters in trbench's decode
// loop. Every draft of every step must be identical.
const cxx = findCompiler();
if (!cxx) console.warn('llama.cpp n-gram cross-check SKIPPED: no C++ compiler (g++, c++ or $CXX) on PATH');

const METHODS: NgramMethod[] = ['ngram-simple', 'ngram-map-k', 'ngram-map-k4v', 'ngram-mod', 'ngram-cache'];
const RANDOM_STREAMS = 200; // per method: half with llama.cpp's defaults, half with small parameters
const DEFAULTS = { sizeN: 12, sizeM: 48, minHits: 1, nMatch: 24, nMin: 48, nMax: 64 };

function smallParams(rng: Rng) {
  const r = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const nMin = r(0, 4);
  return { sizeN: r(1, 4), sizeM: r(1, 8), minHits: r(1, 3), nMatch: r(1, 4), nMin, nMax: r(Math.max(1, nMin), 10) };
}

function firstDifference(ours: string[], theirs: string[]): string | null {
  const n = Math.max(ours.length, theirs.length);
  let request = 0;
  let step = 0;
  for (let i = 0; i < n; i++) {
    if (ours[i] !== theirs[i]) return `request ${request}, step ${step}: trbench drafted [${ours[i]}], llama.cpp [${theirs[i]}]`;
    if (ours[i] === '#') {
      request++;
      step = 0;
    } else step++;
  }
  return null;
}

function compare(exe: string, streams: CrossStream[]): { steps: number; drafts: number } {
  const theirs = runLlamaCpp(exe, streams);
  expect(theirs.length).toBe(streams.length);
  let steps = 0;
  let drafts = 0;
  streams.forEach((s, i) => {
    const ours = runTrbench(s);
    const diff = firstDifference(ours, theirs[i]);
    expect(diff, `stream ${i} (${JSON.stringify(s.config)}): ${diff}`).toBeNull();
    for (const line of ours) {
      if (line === '#') continue;
      steps++;
      if (line !== '0') drafts++;
    }
  });
  return { steps, drafts };
}

describe.skipIf(!cxx)("llama.cpp's n-gram speculators, compiled from the pinned source", { timeout: 300_000 }, () => {
  let exe = '';
  const driver = () => {
    if (!exe) exe = buildDriver(cxx as string);
    return exe;
  };

  for (const method of METHODS) {
    it(`${method}: every draft equals llama.cpp's on ${RANDOM_STREAMS} random multi-request streams`, () => {
      const rng = new Rng(0x5eed + METHODS.indexOf(method));
      const streams: CrossStream[] = [];
      const smallStreams: CrossStream[] = [];
      for (let i = 0; i < RANDOM_STREAMS; i++) {
        const small = i % 2 === 1;
        const config: CrossConfig = {
          method,
          ...(small ? smallParams(rng) : DEFAULTS),
          contextSize: 1 << 16,
          stops: [1, -1],
          warm: i % 5 !== 4,
        };
        (small ? smallStreams : streams).push(randomStream(rng, config, small ? 1 : 8));
      }
      const withDefaults = compare(driver(), streams);
      const withSmall = compare(driver(), smallStreams);
      console.info(
        `${method}: ${RANDOM_STREAMS} random streams, ${withDefaults.steps + withSmall.steps} steps, ${withDefaults.drafts + withSmall.drafts} drafts, all identical to llama.cpp`,
      );
      // Not vacuous: both parameter sets drafted, many times.
      expect(withDefaults.drafts).toBeGreaterThan(100);
      expect(withSmall.drafts).toBeGreaterThan(100);
    });
  }

  it('every method equals llama.cpp on the 48 stories of stories260K in a row (one warm slot), default and small parameters', async () => {
    const { model } = await openStories260K(2);
    const suite = storySuite();
    const { DecodeLoop, AutoregressiveDrafter } = await import('@trbench/core');
    const loop = new DecodeLoop(model, new AutoregressiveDrafter());
    const requests = suite.map((p) => {
      const prompt = Array.from(model.tokenize(p.text, true));
      const stream = Array.from(loop.generate(Int32Array.from(prompt), { maxNewTokens: 200 }).tokens);
      return { prompt, stream, maxNew: 200 };
    });
    const stops = model.info.stopTokens;
    const contextSize = model.info.contextSize;
    model.dispose();
    expect(stops.length).toBeLessThanOrEqual(2);
    const small = { sizeN: 2, sizeM: 8, minHits: 2, nMatch: 3, nMin: 2, nMax: 12 };
    const streams: CrossStream[] = [];
    for (const method of METHODS) {
      for (const params of [DEFAULTS, small]) {
        streams.push({ config: { method, ...params, contextSize, stops: [stops[0] ?? -1, stops[1] ?? -1], warm: true }, requests });
      }
    }
    const { steps, drafts } = compare(driver(), streams);
    console.info(`stories260K: ${streams.length} streams of 48 stories, ${steps} steps, ${drafts} drafts, all identical to llama.cpp`);
    expect(drafts).toBeGreaterThan(100);
  });
});
