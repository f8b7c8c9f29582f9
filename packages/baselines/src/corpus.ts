import { readFileSync } from 'node:fs';
import { AutoregressiveDrafter, DecodeLoop, type TargetModel, TrbenchError } from '@trbench/core';

/** One corpus document as `trbench corpus` writes it (one JSON object per line). */
export interface CorpusRecord {
  id: string;
  /** Token ids of the whole sequence (prompt, then the sampled tokens). */
  tokens: number[];
  /** Their text (special tokens rendered as nothing). */
  text: string;
  [key: string]: unknown;
}

/**
 * Reads a JSONL corpus into token documents for a datastore. A line's `tokens` (an array of token ids) is
 * used as is — a sampled corpus keeps the model's own tokenisation; otherwise its `text` is tokenised with
 * `tokenize` (BOS included, as trbench prompts are). Blank lines are skipped; anything else is an error
 * naming the file and line.
 */
export function readCorpus(file: string, tokenize: (text: string) => Int32Array): Int32Array[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrbenchError(`cannot read corpus ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const docs: Int32Array[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `${file} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new TrbenchError(`${where}: not valid JSON (${(err as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TrbenchError(`${where}: expected an object with "tokens" (token ids) or "text" (a string)`);
    }
    const rec = value as Record<string, unknown>;
    if (rec.tokens !== undefined) {
      if (!Array.isArray(rec.tokens) || !rec.tokens.every((t) => Number.isInteger(t) && (t as number) >= 0)) {
        throw new TrbenchError(`${where}: "tokens" must be an array of non-negative integer token ids`);
      }
      docs.push(Int32Array.from(rec.tokens as number[]));
    } else if (typeof rec.text === 'string') {
      docs.push(tokenize(rec.text));
    } else {
      throw new TrbenchError(`${where}: expected "tokens" (token ids) or "text" (a string)`);
    }
  }
  if (docs.length === 0) throw new TrbenchError(`corpus ${file} has no documents`);
  return docs;
}

/**
 * Version of {@link sampleCorpus}'s output for given inputs: bump it whenever a change (seeding, the sampling
 * path, the core's PRNG or sampling verifier) could make the same options give other tokens, so that caches
 * keyed on it (REST's `datastore: auto`) are rebuilt instead of silently reused.
 */
export const CORPUS_SAMPLER_VERSION = 1;

/**
 * Seed of sample `index` of a corpus drawn with run seed `seed`: a 32-bit mix of both, so that every
 * sample can be regenerated alone and runs with neighbouring seeds do not share samples.
 */
export function corpusSampleSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x27d4eb2f, 0x165667b1) >>> 0;
  h = Math.imul(h ^ (index >>> 0) ^ (h >>> 15), 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface CorpusSampleOptions {
  samples: number;
  /** Run seed; sample i is drawn with corpusSampleSeed(seed, i). */
  seed: number;
  /** > 0. */
  temperature: number;
  /** Most tokens per sample (a sample also ends at end-of-generation or a full context). */
  maxNewTokens: number;
  /** Token ids every sample continues (e.g. just BOS). */
  prompt: Int32Array;
}

/**
 * Samples a corpus from the model itself: plain ancestral sampling through the decode loop (no draft; the
 * core's sampling verifier draws from softmax(logits / T) with its xoshiro128** PRNG). The model must expose
 * node logits (llama.cpp does). Returns, per sample, its seed and prompt + sampled tokens. `signal` stops
 * it at the next decode step (InterruptedError; the decode loop yields to the event loop meanwhile).
 */
export async function sampleCorpus(
  model: TargetModel,
  options: CorpusSampleOptions & { signal?: AbortSignal },
  onSample?: (index: number, tokens: Int32Array) => void,
): Promise<{ sampleSeed: number; tokens: Int32Array }[]> {
  const { samples, seed, temperature, maxNewTokens, prompt } = options;
  if (!(temperature > 0)) throw new TrbenchError(`corpus temperature must be > 0, got ${temperature}`);
  const loop = new DecodeLoop(model, new AutoregressiveDrafter());
  const out: { sampleSeed: number; tokens: Int32Array }[] = [];
  for (let i = 0; i < samples; i++) {
    const sampleSeed = corpusSampleSeed(seed, i);
    const result = await loop.generateAsync(prompt, {
      maxNewTokens,
      sampling: { temperature, topK: 0, topP: 1, seed: sampleSeed },
      signal: options.signal,
    });
    const tokens = new Int32Array(prompt.length + result.tokens.length);
    tokens.set(prompt);
    tokens.set(result.tokens, prompt.length);
    out.push({ sampleSeed, tokens });
    onSample?.(i, tokens);
  }
  return out;
}
