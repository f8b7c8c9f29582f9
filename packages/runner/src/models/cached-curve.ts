import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, sha256Bytes, writeFileAtomic } from '@trbench/assets';
import type { TargetModel } from '@trbench/core';
import { parseTemplate } from '@trbench/token-recycling';
import { type BackendCurve, measureBackendCurve } from './backend-curve.ts';

/** Bumped when how the cached curve is measured changes (sizes, shape, context), so old files are not reused. */
export const CACHED_CURVE_VERSION = 1;
/** Committed context the cached curve is measured on (mid-request for 512-token contexts). */
export const CACHED_CURVE_CONTEXT = 128;

/** Sizes timed for a drafter of up to `maxNodes` nodes: every size to 16, then a few up to maxNodes. */
export function cachedCurveSizes(maxNodes: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n <= Math.min(16, maxNodes); n++) sizes.push(n);
  for (const n of [20, 24, 32, 40, 48, 64, 81, 96, 128]) if (n < maxNodes && n > 16) sizes.push(n);
  if (sizes[sizes.length - 1] !== maxNodes) sizes.push(maxNodes);
  return sizes;
}

/** What a measured curve depends on: the model, the engine and its settings, the machine, the sizes. */
export function curveKey(model: TargetModel, sizes: number[]): Record<string, unknown> {
  return {
    version: CACHED_CURVE_VERSION,
    modelSha256: model.info.sha256,
    backend: model.backend,
    contextSize: model.info.contextSize,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    context: CACHED_CURVE_CONTEXT,
    sizes,
  };
}

/** A cached curve with the key it was stored under. */
export interface CachedCurveFile extends BackendCurve {
  key: Record<string, unknown>;
  createdAt: string;
}

/**
 * t(n) of this model on this backend and machine for drafts of up to `maxNodes` nodes: read from the cache
 * (`<cache>/cost-curves/<model>-<key>.json`) or measured once with {@link measureBackendCurve} — the
 * measurement `packages/runner/bench/cost-curve.ts` and the kit make, on prefixes of the paper's 2.2.2 tree
 * (a greedy tree above 81 nodes) — and cached atomically. The model must be opened for `maxNodes` nodes.
 */
export async function ensureBackendCurve(
  model: TargetModel,
  maxNodes: number,
  options: { repeats?: number; log?: (line: string) => void } = {},
): Promise<{ file: string; curve: CachedCurveFile; fromCache: boolean }> {
  const sizes = cachedCurveSizes(maxNodes);
  const key = curveKey(model, sizes);
  const file = path.join(cacheDir(), 'cost-curves', `${model.info.name}-${sha256Bytes(JSON.stringify(key)).slice(0, 16)}.json`);
  if (existsSync(file)) return { file, curve: JSON.parse(readFileSync(file, 'utf8')) as CachedCurveFile, fromCache: true };
  options.log?.(`no cost curve for this model, backend and machine yet: measuring t(n) for n = ${sizes.join(', ')}…`);
  const tree = parseTemplate(maxNodes <= 81 ? '2.2.2' : `greedy:${maxNodes}:8`, 8);
  const measured = await measureBackendCurve(
    model,
    { backend: model.backend.name, name: model.info.name, sha256: model.info.sha256 },
    sizes,
    tree.parent,
    { contextLength: CACHED_CURVE_CONTEXT, repeats: options.repeats ?? 5 },
  );
  const curve: CachedCurveFile = { ...measured, key, createdAt: new Date().toISOString() };
  writeFileAtomic(file, `${JSON.stringify(curve, null, 1)}\n`);
  return { file, curve, fromCache: false };
}
