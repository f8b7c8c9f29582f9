import { measureCostCurve, type TargetModel } from '@trbench/core';

/** One backend's measured t(n), with the identity of what was measured (cost-curve.json's `results`). */
export interface BackendCurve {
  backend: string;
  version: string;
  device: string;
  settings: Record<string, unknown>;
  model: { name: string; sha256: string };
  sizes: number[];
  ms: number[];
  /** t(n)/t(1). */
  ratio: number[];
  /** Medians before the non-decreasing fit (`CostCurve.rawMs`). */
  rawMs?: number[];
  /** Time the measurement took. */
  seconds: number;
}

/**
 * t(n) of an open model on prefixes of `parents` (a tree's parent table), measured with core's
 * `measureCostCurve`, as one record of `packages/runner/bench/cost-curve.ts` and the offline kit.
 */
export async function measureBackendCurve(
  model: TargetModel,
  identity: { backend: string; name: string; sha256: string },
  sizes: number[],
  parents: Int32Array,
  options: { contextLength: number; repeats: number },
): Promise<BackendCurve> {
  const t0 = Date.now();
  const curve = await measureCostCurve(model, sizes, (n) => parents.subarray(0, n), options);
  return {
    backend: identity.backend,
    version: model.backend.version,
    device: model.backend.device,
    settings: model.backend.settings ?? {},
    model: { name: identity.name, sha256: identity.sha256 },
    sizes: curve.sizes,
    ms: curve.ms,
    ratio: curve.ms.map((t) => t / curve.ms[0]),
    ...(curve.rawMs ? { rawMs: curve.rawMs } : {}),
    seconds: (Date.now() - t0) / 1000,
  };
}
