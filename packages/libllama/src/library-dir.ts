import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { type AbiLayout, layoutDifferences, PINNED } from './abi.ts';
import type { GpuChoice, LocatedLibrary } from './variant.ts';

/** Environment variable naming a folder that holds the libllama to load instead of node-llama-cpp's. */
export const LIBRARY_DIR_ENV = 'TRBENCH_LIBLLAMA_DIR';

/** File a build of the pinned source must carry next to `libllama.so` (the offline kit's run.sh writes it). */
export const BUILD_STAMP_FILE = 'libllama-build.json';

/** What a build of llama.cpp from source says about itself. */
export interface LibraryBuildStamp {
  nodeLlamaCpp: string;
  llamaCppRelease: string;
  /** Commit of the source tree. */
  commit: string;
  /** `cuda` when the CUDA backend is linked in. */
  variant: 'cpu' | 'cuda';
  /** CMAKE_CUDA_ARCHITECTURES of a CUDA build, e.g. `90`. */
  cudaArchitectures?: string;
  /** Struct layout of the headers the library was built from ({@link abiTableProgram}'s output). */
  layout: AbiLayout;
}

function fail(dir: string, why: string): never {
  throw new TrbenchError(`${LIBRARY_DIR_ENV}=${dir}: ${why}`);
}

/**
 * The libllama in `dir`: either a build of the pinned source (`libllama.so` + `libggml.so`, backends linked
 * in, with a {@link BUILD_STAMP_FILE} whose release and struct layout must equal the pinned ones), or a
 * copy of node-llama-cpp's prebuilt folder (`libllama.v0.4.0.so`, backends as plug-ins).
 */
export function locateLibraryDir(dir: string, gpu: GpuChoice): LocatedLibrary {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) fail(dir, 'folder does not exist');
  if (existsSync(path.join(dir, 'libllama.so'))) return locateSourceBuild(dir, gpu);
  const tag = PINNED.libraryVersionTag;
  const cpu = existsSync(path.join(dir, `libllama.${tag}.so`));
  const cuda = existsSync(path.join(dir, `libllama.cuda.${tag}.so`));
  if (!cpu && !cuda) fail(dir, `holds neither libllama.so (a build of the pinned source) nor node-llama-cpp's libllama.${tag}.so`);
  if (gpu === 'vulkan') fail(dir, 'trbench loads only CPU and CUDA builds from a folder');
  const variant = cuda && gpu !== false && (gpu === 'cuda' || !cpu) ? 'cuda' : cpu ? 'cpu' : fail(dir, 'holds no CPU build');
  if (gpu === 'cuda' && variant !== 'cuda') fail(dir, `holds no CUDA build (libllama.cuda.${tag}.so)`);
  const suffix = variant === 'cuda' ? '.cuda' : '';
  return {
    variant,
    binsDir: dir,
    ggmlPath: path.join(dir, `libggml${suffix}.${tag}.so`),
    llamaPath: path.join(dir, `libllama${suffix}.${tag}.so`),
    versionString: `node-llama-cpp ${PINNED.nodeLlamaCpp} / llama.cpp ${PINNED.llamaCppRelease} (prebuilt, from ${dir})`,
    backendPlugins: true,
    fallbackPlugins: null,
  };
}

function locateSourceBuild(dir: string, gpu: GpuChoice): LocatedLibrary {
  const stampPath = path.join(dir, BUILD_STAMP_FILE);
  if (!existsSync(stampPath)) {
    fail(
      dir,
      `libllama.so without ${BUILD_STAMP_FILE}: trbench loads a build from source only with the stamp that records its release and struct layout (kit/run.sh writes it)`,
    );
  }
  let stamp: LibraryBuildStamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as LibraryBuildStamp;
  } catch (err) {
    fail(dir, `${BUILD_STAMP_FILE} is not valid JSON (${(err as Error).message})`);
  }
  if (stamp.llamaCppRelease !== PINNED.llamaCppRelease) {
    fail(dir, `refusing libllama.so built from llama.cpp ${stamp.llamaCppRelease}: trbench's ABI table is for ${PINNED.llamaCppRelease}`);
  }
  const diffs = layoutDifferences(stamp.layout ?? {});
  if (diffs.length > 0)
    fail(dir, `refusing libllama.so: its headers' struct layout differs from the pinned ABI table (${diffs.join('; ')})`);
  if (gpu === 'vulkan') fail(dir, 'trbench loads only CPU and CUDA builds from a folder');
  if (gpu === 'cuda' && stamp.variant !== 'cuda')
    fail(dir, 'libllama.so was built without CUDA (rebuild with the CUDA toolkit, or use --device cpu)');
  const variant = gpu === false ? 'cpu' : stamp.variant;
  const arch = stamp.cudaArchitectures ? `, CUDA arch ${stamp.cudaArchitectures}` : '';
  return {
    variant,
    binsDir: dir,
    ggmlPath: path.join(dir, 'libggml.so'),
    llamaPath: path.join(dir, 'libllama.so'),
    versionString: `llama.cpp ${stamp.llamaCppRelease} (${stamp.commit.slice(0, 10)}, node-llama-cpp ${stamp.nodeLlamaCpp}'s source) built from source${arch}`,
    backendPlugins: false,
    fallbackPlugins: null,
  };
}
