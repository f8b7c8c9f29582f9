/** The models one kit run uses. */
export interface KitModels {
  /** Checked tree-vs-linear on the device: stories260K and a small wide-vocabulary twin. */
  check: string[];
  /** Timed: the cost curve t(n) and the sweep. */
  target: string;
  /** Free disk the twins need in the work folder (GiB, with headroom). */
  diskGiB: number;
  /** Said in the report about the models (null: nothing to add). */
  note: string | null;
}

/**
 * The GPU run's models (the vicuna-7b-shaped twin: F16, a real 32,000-token vocabulary and untied LM head)
 * or the CPU self-test's (a small f32 wide twin: F16 weights take ggml's slow F16 path for batches on a CPU
 * and blur the tree-vs-linear check).
 */
export function kitModels(cpu: boolean): KitModels {
  if (cpu) {
    const small = 'twin:d256-l6-h16-kv8-f688-v32000:f32';
    return { check: ['stories260K', small], target: small, diskGiB: 2, note: null };
  }
  return { check: ['stories260K', 'twin:d512-l8-h8-kv4-f1376-v32000'], target: 'twin:vicuna-7b', diskGiB: 16, note: null };
}
