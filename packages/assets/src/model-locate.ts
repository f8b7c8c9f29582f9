import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseHfUri } from './model-file.ts';
import { parseModelSpec } from './model-spec.ts';
import { cacheDir, mirrorDir } from './paths.ts';
import { twinCachePath } from './twin/resolve.ts';

/**
 * Where a model spec's file is looked for, found without opening, downloading or generating anything
 * (`trbench run --dry-run`). `present` says whether that file exists now; `action` what a run does when it
 * does not (generate, download, fail).
 */
export interface ModelLocation {
  kind: 'stories260K' | 'derived' | 'twin' | 'hf' | 'path';
  /** The file a run opens (absolute); for stories260K and derived models, the cache folder they go into. */
  file: string;
  present: boolean;
  /** Size in bytes when present. */
  bytes?: number;
  /** One line: what a run does about this file. */
  action: string;
}

function sizeOf(file: string): number | undefined {
  try {
    const s = statSync(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Locates `spec` as `resolveModel` would, without side effects: a known name, a spec trbench generates
 * (twin, derived), an `hf:` URI (its cache path) or a `.gguf` path (taken as given: resolve it first when
 * it is relative to something else than the working folder). Throws a spec's parse error (a bad twin
 * shape) as `resolveModel` does.
 */
export function locateModel(spec: string): ModelLocation {
  const built = parseModelSpec(spec);
  if (spec === 'stories260K' || built?.kind === 'derived') {
    const dir = built?.kind === 'derived' ? path.join(cacheDir(), 'models', 'derived') : path.join(cacheDir(), 'models');
    const mirror = mirrorDir();
    return {
      kind: spec === 'stories260K' ? 'stories260K' : 'derived',
      file: dir,
      present: existsSync(dir),
      action: `converted from llama2.c's stories260K.bin into ${dir} on first use (source: ${mirror ? `mirror ${mirror}` : 'download, sha256-pinned'})`,
    };
  }
  if (built?.kind === 'twin') {
    const file = twinCachePath(built);
    const bytes = sizeOf(file);
    return {
      kind: 'twin',
      file,
      present: bytes !== undefined,
      ...(bytes !== undefined ? { bytes } : {}),
      action: bytes !== undefined ? 'cached twin (stamp checked when opened)' : 'generated into the cache on first use',
    };
  }
  if (spec.startsWith('hf:')) {
    const { repo, file, revision } = parseHfUri(spec);
    const target = path.join(cacheDir(), 'hf', repo, revision, file);
    const bytes = sizeOf(target);
    return {
      kind: 'hf',
      file: target,
      present: bytes !== undefined,
      ...(bytes !== undefined ? { bytes } : {}),
      action:
        bytes !== undefined ? 'cached download' : `downloaded from https://huggingface.co/${repo}/resolve/${revision}/${file} on first use`,
    };
  }
  const file = path.resolve(spec);
  const bytes = sizeOf(file);
  return {
    kind: 'path',
    file,
    present: bytes !== undefined,
    ...(bytes !== undefined ? { bytes } : {}),
    action:
      bytes !== undefined
        ? 'opened as given'
        : 'NOT FOUND: a run fails here (a Hugging Face checkpoint becomes this file with trbench convert --hf DIR --out FILE)',
  };
}
