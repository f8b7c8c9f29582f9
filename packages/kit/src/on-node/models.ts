import { parseModelSpec } from '@trbench/assets';

/** The models one kit run uses. */
export interface KitModels {
  /** Checked tree-vs-linear on the device: stories260K and a wide-vocabulary twin (a 512 one where none exists). */
  check: string[];
  /** Timed: the cost curve t(n) and the sweep. */
  target: string;
  /** Free disk the twins need in the work folder (GiB, with headroom). */
  diskGiB: number;
  /** Said in the report when a wide-vocabulary twin is not available in this build. */
  note: string | null;
}

/**
 * Twin specs with a real LLM's 32000-token vocabulary (and untied LM head), first choice; each falls back
 * to the 512-token twin of the same shape when this build's spec parser does not know the `-v<V>` suffix.
 */
const GPU_TARGET = ['twin:vicuna-7b-v32000', 'twin:d4096-l32-h32-kv32-f11008-v32000'];
const GPU_TARGET_512 = 'twin:vicuna-7b';
const WIDE_SMALL = ['twin:d512-l8-h8-kv4-f1376-v32000'];
// F32 on the CPU: F16 weights take ggml's slow F16 path for batches and blur the tree-vs-linear check.
const CPU_TARGET = ['twin:d256-l6-h16-kv8-f688-v32000:f32'];
const CPU_TARGET_512 = 'twin:d256-l6-h16-kv8-f688:f32';

function firstKnown(specs: string[]): string | null {
  for (const spec of specs) {
    try {
      if (parseModelSpec(spec)?.kind === 'twin') return spec;
    } catch {
      // not a spec this build knows
    }
  }
  return null;
}

/** The GPU run's models (vicuna-7b-shaped twin, F16) or the CPU self-test's (a small twin). */
export function kitModels(cpu: boolean): KitModels {
  const wideNote =
    "no wide-vocabulary twin (`twin:...-v32000`) in this build: the checks and timings use the 512-token twin, which lacks a real LLM's wide LM head and its host-side ranking cost";
  if (cpu) {
    const wide = firstKnown(CPU_TARGET);
    return { check: ['stories260K', wide ?? CPU_TARGET_512], target: wide ?? CPU_TARGET_512, diskGiB: 2, note: wide ? null : wideNote };
  }
  const wide = firstKnown(GPU_TARGET);
  const wideSmall = firstKnown(WIDE_SMALL);
  return {
    check: ['stories260K', wideSmall ?? wide ?? GPU_TARGET_512],
    target: wide ?? GPU_TARGET_512,
    diskGiB: 16,
    note: wide ? null : wideNote,
  };
}
