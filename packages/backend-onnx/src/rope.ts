const f = Math.fround;

/**
 * cos/sin tables `[positions, headDim/2]` for llama.cpp's "normal" RoPE (adjacent pairs), computed the
 * way ggml's CPU kernel does (`ggml_rope_cache_init`): θ starts at the position and is multiplied by
 * `base^(-2/dims)` in float32 per pair, then divided by the optional frequency factor and multiplied by
 * `freqScale`. Reproducing the float32 recurrence (instead of an exact `pos·base^(-2i/d)`) keeps the
 * angles bit-close to llama.cpp's at large positions, where a 1-ulp difference in θ is already 3e-5 rad.
 */
export function ropeTables(
  positions: number,
  headDim: number,
  base: number,
  freqScale: number,
  freqFactors: Float32Array | null,
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  const thetaScale = f(base ** f(-2 / headDim));
  for (let p = 0; p < positions; p++) {
    let theta = f(p);
    for (let i = 0; i < half; i++) {
      const ff = freqFactors ? freqFactors[i] : 1;
      const angle = f(f(freqScale) * f(theta / ff));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
      theta = f(theta * thetaScale);
    }
  }
  return { cos, sin };
}
