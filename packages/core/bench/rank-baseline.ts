/**
 * The host ranking as it was before issue 19 (commit 497d17a), kept verbatim for the side-by-side timing
 * of rank.ts: a scalar insertion scan per row, log-sum-exp with Math.exp, and the sampling verifier's
 * temperature-only distribution built with Math.exp over the whole row.
 */
export function rankLogitsRowBaseline(
  logits: Float32Array,
  offset: number,
  vocab: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
): void {
  let filled = 0;
  let kthValue = -Infinity;
  for (let t = 0; t < vocab; t++) {
    const v = logits[offset + t];
    if (filled === k && !(v > kthValue)) continue;
    let pos = filled === k ? k - 1 : filled;
    while (pos > 0 && v > vals[base + pos - 1]) {
      vals[base + pos] = vals[base + pos - 1];
      ids[base + pos] = ids[base + pos - 1];
      pos--;
    }
    vals[base + pos] = v;
    ids[base + pos] = t;
    if (filled < k) filled++;
    kthValue = vals[base + filled - 1];
  }
}

/** The old `ProcessedDistribution.build` for temperature alone (top-k 0, top-p 1): Math.exp over the row. */
export class TemperatureDistributionBaseline {
  private readonly ids: Int32Array;
  private readonly position: Int32Array;
  private readonly weights: Float64Array;
  mass = 0;

  constructor(readonly vocabSize: number) {
    this.ids = new Int32Array(vocabSize);
    this.position = new Int32Array(vocabSize);
    this.weights = new Float64Array(vocabSize);
  }

  build(logits: Float32Array, offset: number, temperature: number): void {
    const V = this.vocabSize;
    const invT = 1 / temperature;
    let max = -Infinity;
    for (let t = 0; t < V; t++) if (logits[offset + t] > max) max = logits[offset + t];
    for (let t = 0; t < V; t++) this.weights[t] = Math.exp((logits[offset + t] - max) * invT);
    let mass = 0;
    for (let t = 0; t < V; t++) {
      this.ids[t] = t;
      this.position[t] = t;
      mass += this.weights[t];
    }
    this.mass = mass;
  }
}
