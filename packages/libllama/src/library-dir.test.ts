import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECTED_LAYOUT, layoutDifferences } from './abi.ts';
import { BUILD_STAMP_FILE, type LibraryBuildStamp, locateLibraryDir } from './library-dir.ts';

const PREBUILT = path.resolve(__dirname, '../../../node_modules/@node-llama-cpp/linux-x64/bins/linux-x64');
const layout = JSON.parse(JSON.stringify(EXPECTED_LAYOUT));

function sourceBuild(stamp: Partial<LibraryBuildStamp> | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trbench-libdir-'));
  writeFileSync(path.join(dir, 'libllama.so'), '');
  writeFileSync(path.join(dir, 'libggml.so'), '');
  const full = {
    nodeLlamaCpp: '3.21.1',
    llamaCppRelease: 'v0.4.0',
    commit: '80fb11ac73e6',
    variant: 'cuda',
    cudaArchitectures: '90',
    layout,
    ...stamp,
  };
  if (stamp !== null) writeFileSync(path.join(dir, BUILD_STAMP_FILE), JSON.stringify(full));
  return dir;
}

describe('a libllama folder from TRBENCH_LIBLLAMA_DIR', () => {
  it('takes a build of the pinned source whose stamped layout is the pinned one', () => {
    const dir = sourceBuild({});
    const got = locateLibraryDir(dir, 'auto');
    expect(got).toMatchObject({ variant: 'cuda', llamaPath: path.join(dir, 'libllama.so'), backendPlugins: false });
    expect(got.versionString).toContain('built from source, CUDA arch 90');
    expect(locateLibraryDir(dir, false).variant).toBe('cpu');
  });

  it('refuses a build without its stamp, of another release, or with another struct layout', () => {
    expect(() => locateLibraryDir(sourceBuild(null), 'auto')).toThrow(/without libllama-build.json/);
    expect(() => locateLibraryDir(sourceBuild({ llamaCppRelease: 'v0.5.0' }), 'auto')).toThrow(/built from llama.cpp v0.5.0/);
    const moved = JSON.parse(JSON.stringify(layout));
    moved.llama_context_params.fields.kv_unified = 134;
    expect(() => locateLibraryDir(sourceBuild({ layout: moved }), 'auto')).toThrow(
      /offsetof\(llama_context_params, kv_unified\) = 134, expected 133/,
    );
    expect(() => locateLibraryDir(sourceBuild({ variant: 'cpu' }), 'cuda')).toThrow(/built without CUDA/);
  });

  it("takes node-llama-cpp's prebuilt folder, and names a folder that holds neither", () => {
    expect(locateLibraryDir(PREBUILT, 'auto')).toMatchObject({ variant: 'cpu', backendPlugins: true });
    expect(() => locateLibraryDir(PREBUILT, 'cuda')).toThrow(/holds no CUDA build/);
    expect(() => locateLibraryDir(mkdtempSync(path.join(os.tmpdir(), 'trbench-libdir-')), 'auto')).toThrow(/holds neither/);
    expect(() => locateLibraryDir('/nonexistent/trbench', 'auto')).toThrow(
      'TRBENCH_LIBLLAMA_DIR=/nonexistent/trbench: folder does not exist',
    );
  });

  it('compares a layout field by field', () => {
    expect(layoutDifferences(layout)).toEqual([]);
    expect(layoutDifferences({})).toEqual([
      'no llama_model_params',
      'no llama_context_params',
      'no llama_batch',
      'no llama_sampler_seq_config',
      'no llama_sampler_chain_params',
      'no llama_model_quantize_params',
    ]);
  });
});
