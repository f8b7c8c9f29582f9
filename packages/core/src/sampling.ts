import { TrbenchError } from './errors.ts';
import { expWeightAt, expWeights, expWeightsSum, kernelWeights, rowMax, selectTopK } from './predictions.ts';

/** How tokens are drawn. Temperature 0 is greedy decoding (bit-identical to the greedy path). */
export interface SamplingOptions {
  temperature: number;
  /** Keep only the k most likely tokens; 0 = no limit. */
  topK: number;
  /** Keep the smallest most-likely set whose probability reaches p; 1 = no limit. */
  topP: number;
  /** Seed of the PRNG (a run with the same seed and config draws the same tokens). */
  seed: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1, seed: 0 };

/** Checks sampling options, naming the bad one. */
export function validateSampling(s: SamplingOptions): SamplingOptions {
  if (!(Number.isFinite(s.temperature) && s.temperature >= 0)) throw new TrbenchError(`temperature must be >= 0, got ${s.temperature}`);
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) throw new TrbenchError(`top-k must be an integer >= 0 (0 = off), got ${s.topK}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new TrbenchError(`top-p must be in (0, 1], got ${s.topP}`);
  if (!Number.isInteger(s.seed)) throw new TrbenchError(`seed must be an integer, got ${s.seed}`);
  return s;
}

/**
 * xoshiro128** (Blackman & Vigna), seeded by splitmix32 from a 32-bit integer. `next()` returns a double in
 * [0, 1) built from 53 random bits. Chosen for being small, fast, well studied and identical on every
 * platform, so a seed fully determines a sampled run.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number) {
    this.reseed(seed);
  }

  reseed(seed: number): void {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform double in [0, 1). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Removals a lazy distribution keeps before it writes its weights (a row's rejected siblings: a handful). */
const LAZY_REMOVALS = 32;

/**
 * The processed next-token distribution of one node: softmax(logits / T), then top-k, then top-p (the
 * order HF transformers applies them), renormalised. With top-k or top-p, candidates are ordered by logit,
 * ties by lower token id; with temperature alone they stay in id order (no sort needed). Supports the residual operations of speculative sampling: `remove` a rejected token and keep the rest
 * proportional (the mass is tracked instead of renormalising).
 */
export class ProcessedDistribution {
  readonly vocabSize: number;
  /** Candidate ids, most likely first; `size` are valid. */
  readonly ids: Int32Array;
  /** Unnormalised probabilities of `ids` (zero once removed). */
  get weights(): Float64Array {
    if (this.lazyRow !== null) this.materialize();
    return this.weightStore;
  }
  size = 0;
  /** Sum of the remaining weights. */
  mass = 0;
  private readonly weightStore: Float64Array;
  private readonly position: Int32Array;
  private readonly order: Int32Array;
  private readonly topValues: Float32Array;
  /** `ids` and `position` are the identity over the whole vocabulary (a temperature-only build). */
  private identityOrder = false;
  /**
   * A temperature-only build keeps its row and computes weights only when something reads them all (sample,
   * residual, dense copy): the verifier reads 1–3 tokens' probabilities on most rows it visits, and writing
   * V weights per row cost more than the normaliser. Removed tokens wait in `removed` until then.
   */
  private lazyRow: Float32Array | null = null;
  private lazyOffset = 0;
  private lazyMax = 0;
  private lazyInvT = 1;
  private readonly removed = new Int32Array(LAZY_REMOVALS);
  private removedCount = 0;

  constructor(vocabSize: number) {
    this.vocabSize = vocabSize;
    this.ids = new Int32Array(vocabSize);
    this.weightStore = kernelWeights(vocabSize);
    this.position = new Int32Array(vocabSize).fill(-1);
    this.order = new Int32Array(vocabSize);
    this.topValues = new Float32Array(vocabSize);
  }

  /**
   * Builds the distribution from a row of raw logits (temperature must be > 0). Top-k selection is the
   * ranking of predictions.ts (same order, same bits); the weights of a temperature-only row come from the
   * f32 SIMD exp of rank-kernel.ts (each weight within (2 + |d|)·1.2e-7 relative of Math.exp, d = (x − max)/T;
   * the same bits whether read lazily or written), others from Math.exp. A temperature-only
   * build reads `logits` again when its weights are first needed: the row must not change until then (the
   * decode loop's rows stay valid for the whole verification of a step).
   */
  build(logits: Float32Array, offset: number, options: SamplingOptions): void {
    const V = this.vocabSize;
    const limit = options.topK > 0 && options.topK < V ? options.topK : V;
    const order = this.order;
    const invT = 1 / options.temperature;
    this.lazyRow = null;
    if (limit === V && options.topP >= 1) {
      this.buildTemperatureOnly(logits, offset, invT);
      return;
    }
    if (this.identityOrder) this.position.fill(-1);
    else for (let i = 0; i < this.size; i++) this.position[this.ids[i]] = -1;
    this.identityOrder = false;
    if (limit < V) {
      selectTopK(logits, offset, V, limit, order, this.topValues, 0);
    } else {
      for (let t = 0; t < V; t++) order[t] = t;
      // top-p needs the most likely tokens first.
      order.sort((x, y) => logits[offset + y] - logits[offset + x] || x - y);
    }
    let max = -Infinity;
    for (let i = 0; i < limit; i++) if (logits[offset + order[i]] > max) max = logits[offset + order[i]];
    let total = 0;
    for (let i = 0; i < limit; i++) {
      const w = Math.exp((logits[offset + order[i]] - max) * invT);
      this.weightStore[i] = w;
      total += w;
    }
    let size = limit;
    if (options.topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < limit; i++) {
        cumulative += this.weightStore[i];
        if (cumulative >= options.topP * total) {
          size = i + 1;
          break;
        }
      }
    }
    let mass = 0;
    for (let i = 0; i < size; i++) {
      this.ids[i] = order[i];
      this.position[order[i]] = i;
      mass += this.weightStore[i];
    }
    this.size = size;
    this.mass = mass;
  }

  /** Temperature alone: every token, in id order (no sort needed), weights exp((x − max)/T), computed lazily. */
  private buildTemperatureOnly(logits: Float32Array, offset: number, invT: number): void {
    const V = this.vocabSize;
    const max = rowMax(logits, offset, V);
    const weights = this.weightStore;
    let mass = 0;
    if (max > -Infinity && max < Infinity) {
      const sum = expWeightsSum(logits, offset, V, max, invT);
      if (sum === null) mass = expWeights(logits, offset, V, max, invT, weights);
      else {
        mass = sum;
        this.lazyRow = logits;
        this.lazyOffset = offset;
        this.lazyMax = max;
        this.lazyInvT = invT;
        this.removedCount = 0;
      }
    } else {
      for (let t = 0; t < V; t++) weights[t] = logits[offset + t] === max ? 1 : 0;
      for (let t = 0; t < V; t++) mass += weights[t];
    }
    if (!this.identityOrder) {
      const ids = this.ids;
      const position = this.position;
      for (let t = 0; t < V; t++) {
        ids[t] = t;
        position[t] = t;
      }
      this.identityOrder = true;
    }
    this.size = V;
    this.mass = mass;
  }

  /** Writes a lazy build's weights (the same bits an eager build writes) and its removals; `mass` is already right. */
  private materialize(): void {
    const row = this.lazyRow as Float32Array;
    this.lazyRow = null;
    const weights = this.weightStore;
    expWeights(row, this.lazyOffset, this.vocabSize, this.lazyMax, this.lazyInvT, weights);
    for (let i = 0; i < this.removedCount; i++) weights[this.removed[i]] = 0;
    this.removedCount = 0;
  }

  private lazyRemoved(token: number): boolean {
    for (let i = 0; i < this.removedCount; i++) if (this.removed[i] === token) return true;
    return false;
  }

  /** Current probability of `token` (0 when filtered out or removed). */
  probability(token: number): number {
    if (this.lazyRow !== null) {
      if (this.mass <= 0 || this.lazyRemoved(token)) return 0;
      return expWeightAt(this.lazyRow, this.lazyOffset, this.vocabSize, token, this.lazyMax, this.lazyInvT) / this.mass;
    }
    const i = this.position[token];
    return i < 0 || this.mass <= 0 ? 0 : this.weightStore[i] / this.mass;
  }

  /** Zeroes `token` (a rejected candidate); the rest keeps its proportions. */
  remove(token: number): void {
    if (this.lazyRow !== null) {
      if (this.lazyRemoved(token)) return;
      if (this.removedCount === LAZY_REMOVALS) this.materialize();
      else {
        this.mass -= expWeightAt(this.lazyRow, this.lazyOffset, this.vocabSize, token, this.lazyMax, this.lazyInvT);
        this.removed[this.removedCount++] = token;
        return;
      }
    }
    const i = this.position[token];
    if (i < 0) return;
    this.mass -= this.weightStore[i];
    this.weightStore[i] = 0;
  }

  /**
   * Replaces the distribution by the residual of a rejected proposal q, normalised: max(0, p − q) where p
   * is the current (renormalised) distribution and `q[offset + token]` a dense probability row. Returns
   * false, leaving the distribution unchanged, when nothing is left (p = q up to rounding): the residual
   * would be rounding noise, and a rejection there has probability below 1e-9 anyway.
   */
  subtractProposal(q: Float64Array, offset: number): boolean {
    const weights = this.weights;
    const inv = 1 / this.mass;
    let residual = 0;
    for (let i = 0; i < this.size; i++) {
      const w = weights[i];
      if (w > 0) residual += Math.max(0, w * inv - q[offset + this.ids[i]]);
    }
    if (!(residual > 1e-9)) return false;
    for (let i = 0; i < this.size; i++) {
      const w = weights[i];
      weights[i] = w > 0 ? Math.max(0, w * inv - q[offset + this.ids[i]]) : 0;
    }
    this.mass = residual;
    return true;
  }

  /** Writes the remaining distribution, normalised, as a dense row `out[offset + token]` (zero elsewhere). */
  writeDense(out: Float64Array, offset: number): void {
    const weights = this.weights;
    out.fill(0, offset, offset + this.vocabSize);
    const inv = 1 / this.mass;
    for (let i = 0; i < this.size; i++) {
      const w = weights[i];
      if (w > 0) out[offset + this.ids[i]] = w * inv;
    }
  }

  /** Draws a token from the remaining distribution. */
  sample(rng: Rng): number {
    const weights = this.weights;
    let u = rng.next() * this.mass;
    let last = -1;
    for (let i = 0; i < this.size; i++) {
      const w = weights[i];
      if (w <= 0) continue;
      last = i;
      u -= w;
      if (u < 0) return this.ids[i];
    }
    if (last < 0) throw new Error('sampling from an empty distribution');
    return this.ids[last]; // rounding left u a hair above zero
  }
}
