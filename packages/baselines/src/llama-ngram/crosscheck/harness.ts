import { spawnSync } from 'node:child_process';
import { DecodeLoop, type Rng } from '@trbench/core';
import { NgramCacheDrafter } from '../ngram-cache.ts';
import { NgramMapKDrafter } from '../ngram-map-k.ts';
import { NgramMapK4vDrafter } from '../ngram-map-k4v.ts';
import { NgramModDrafter } from '../ngram-mod.ts';
import { NgramSimpleDrafter } from '../ngram-simple.ts';
import type { LlamaNgramDrafter } from '../server-slot.ts';
import { ScriptedModel } from './scripted-model.ts';

export type NgramMethod = 'ngram-simple' | 'ngram-map-k' | 'ngram-map-k4v' | 'ngram-mod' | 'ngram-cache';

/** common_speculative_type of each method (common.h). */
const LLAMA_TYPE: Record<NgramMethod, number> = {
  'ngram-simple': 6,
  'ngram-map-k': 7,
  'ngram-map-k4v': 8,
  'ngram-mod': 9,
  'ngram-cache': 10,
};

export interface CrossConfig {
  method: NgramMethod;
  sizeN: number;
  sizeM: number;
  minHits: number;
  nMatch: number;
  nMin: number;
  nMax: number;
  contextSize: number;
  /** Up to two end-of-generation ids (-1 = none). */
  stops: [number, number];
  warm: boolean;
}

/** One request: the prompt and the target's greedy output (ends at a stop token or after maxNew tokens). */
export interface CrossRequest {
  prompt: number[];
  stream: number[];
  maxNew: number;
}

export interface CrossStream {
  config: CrossConfig;
  requests: CrossRequest[];
}

export function makeDrafter(c: CrossConfig): LlamaNgramDrafter {
  const lifetime = c.warm ? 'warm' : 'cold';
  const map = { sizeN: c.sizeN, sizeM: c.sizeM, minHits: c.minHits };
  switch (c.method) {
    case 'ngram-simple':
      return new NgramSimpleDrafter(map, lifetime);
    case 'ngram-map-k':
      return new NgramMapKDrafter(map, lifetime);
    case 'ngram-map-k4v':
      return new NgramMapK4vDrafter(map, lifetime);
    case 'ngram-mod':
      return new NgramModDrafter({ nMatch: c.nMatch, nMin: c.nMin, nMax: c.nMax }, lifetime);
    case 'ngram-cache':
      return new NgramCacheDrafter(lifetime);
  }
}

/** trbench's drafts, step by step, through the real decode loop: one line per step, "#" after each request. */
export function runTrbench(s: CrossStream): string[] {
  const drafter = makeDrafter(s.config);
  const model = new ScriptedModel(
    drafter.maxDraftNodes,
    s.config.contextSize,
    s.config.stops.filter((t) => t >= 0),
  );
  const loop = new DecodeLoop(model, drafter);
  for (const r of s.requests) {
    model.setRequest(r.prompt.length, r.stream);
    loop.generate(Int32Array.from(r.prompt), { maxNewTokens: r.maxNew });
    model.steps.push('#');
  }
  return model.steps;
}

/** llama.cpp's drafts for every stream, from one run of the compiled driver. */
export function runLlamaCpp(exe: string, streams: CrossStream[]): string[][] {
  const parts: string[] = [];
  for (const { config: c, requests } of streams) {
    parts.push(
      `T ${LLAMA_TYPE[c.method]} ${c.sizeN} ${c.sizeM} ${c.minHits} ${c.nMatch} ${c.nMin} ${c.nMax} ${c.contextSize} ${c.stops[0]} ${c.stops[1]} ${c.warm ? 1 : 0}`,
    );
    for (const r of requests) parts.push(`R ${r.maxNew} ${r.prompt.length} ${r.prompt.join(' ')} ${r.stream.length} ${r.stream.join(' ')}`);
    parts.push('E');
  }
  // ngram-mod allocates a 16 MiB table per server: let glibc reuse freed heap instead of mapping fresh pages each time.
  const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) };
  const run = spawnSync(exe, { input: parts.join('\n'), encoding: 'utf8', maxBuffer: 1 << 30, env });
  if (run.status !== 0) throw new Error(`cross-check driver failed (${run.status ?? run.signal}): ${run.stderr}`);
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of run.stdout.split('\n')) {
    if (line === '=') {
      out.push(current);
      current = [];
    } else if (line !== '') current.push(line);
  }
  return out;
}

function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}

/**
 * Token text with structure: runs of random tokens from a small alphabet and copies of earlier spans (of
 * `source` or of itself), so that long n-grams recur as they do in real outputs.
 */
function text(rng: Rng, length: number, alphabet: number, maxCopy: number, source: number[]): number[] {
  const out: number[] = [];
  while (out.length < length) {
    const pool = source.length + out.length;
    if (pool > 8 && rng.next() < 0.55) {
      const from = int(rng, 0, pool - 2);
      const n = int(rng, 2, maxCopy);
      for (let i = 0; i < n && out.length < length; i++) {
        const j = from + i;
        const t = j < source.length ? source[j] : out[j - source.length];
        if (t === undefined) break;
        out.push(t);
      }
    } else {
      const n = int(rng, 1, 6);
      for (let i = 0; i < n && out.length < length; i++) out.push(3 + int(rng, 0, alphabet - 1));
    }
  }
  return out;
}

/**
 * A random multi-request stream: 2–5 requests, each prompt either new text, a prefix of the previous
 * history (a shorter prompt: llama.cpp's cleanup rules) or the previous history extended (a chat's next
 * turn); outputs sometimes end at an end-of-generation token (1), sometimes run to their length limit.
 */
export function randomStream(rng: Rng, config: CrossConfig, scale: number): CrossStream {
  const alphabet = [3, 6, 20, 200][int(rng, 0, 3)];
  const maxCopy = 6 + scale * 4;
  const requests: CrossRequest[] = [];
  let previous: number[] = [];
  const count = int(rng, 2, 5);
  for (let r = 0; r < count; r++) {
    let prompt: number[];
    const kind = r === 0 ? 0 : int(rng, 0, 2);
    if (kind === 1 && previous.length > 4) prompt = previous.slice(0, int(rng, 4, previous.length));
    else if (kind === 2) prompt = [...previous, ...text(rng, int(rng, 1, 8 * scale), alphabet, maxCopy, previous)];
    else prompt = [2, ...text(rng, int(rng, 3, 25 * scale), alphabet, maxCopy, previous)];
    if (prompt.length < 4) prompt = [2, 3, 4, ...prompt];
    const maxNew = int(rng, 1, 25 * scale);
    const stream = text(rng, maxNew, alphabet, maxCopy, prompt);
    if (rng.next() < 0.35) stream[int(rng, 0, stream.length - 1)] = 1;
    let end = stream.indexOf(1);
    end = end < 0 ? stream.length : end + 1;
    requests.push({ prompt, stream, maxNew });
    previous = [...prompt, ...stream.slice(0, end)];
  }
  return { config, requests };
}
