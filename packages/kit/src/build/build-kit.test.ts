import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@trbench/assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKit, KIT_MAX_BYTES, type KitManifest } from './build-kit.ts';

// The light CI test of the offline kit: it builds (runtime at xz -1, cached per machine after the first
// time), stays within 60 MiB, and its bundled CLI runs on the kit's own Node.js from a folder with no
// node_modules. The library comes from node-llama-cpp's prebuilt CPU folder through the kit's
// TRBENCH_LIBLLAMA_DIR (building llama.cpp from source is `npm run kit:selftest`'s job).
let tmp: string;
let kit: string;
let manifest: KitManifest;
let node: string;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function runKit(args: string[]): string {
  return execFileSync(node, [path.join(kit, 'app', 'trbench.mjs'), ...args], {
    cwd: tmp,
    env: {
      PATH: '/usr/bin:/bin',
      HOME: tmp,
      TRBENCH_MIRROR: path.join(kit, 'app', 'assets'),
      TRBENCH_CACHE: path.join(tmp, 'cache'),
      TRBENCH_LIBLLAMA_DIR: path.join(repoRoot, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'trbench-kit-test-'));
  kit = path.join(tmp, 'kit');
  ({ manifest } = await buildKit({ repoRoot, out: kit, runtimeXzLevel: 1, log: () => {} }));
  node = path.join(tmp, 'node', 'bin', 'node');
  mkdirSync(path.dirname(node), { recursive: true });
  execFileSync('bash', [
    '-c',
    `xz -dc "${path.join(kit, 'runtime', `node-${process.version}-linux-x64.xz`)}" > "${node}" && chmod +x "${node}"`,
  ]);
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run kit', () => {
  it('fits 60 MiB, with every file in the manifest and intact', () => {
    expect(manifest.bytes).toBeLessThanOrEqual(KIT_MAX_BYTES);
    expect(manifest.llamaCpp.llamaCppRelease).toBe('v0.4.0');
    expect(manifest.llamaCpp.patches).toEqual(['PR-22566.diff']);
    expect(execFileSync('sha256sum', ['-c', '--quiet', 'manifest.sha256'], { cwd: kit }).toString()).toBe('');
    for (const p of [
      'run.sh',
      'manifest.json',
      'app/trbench.mjs',
      'llama.cpp/abi-table.c',
      'llama.cpp/source.json',
      'app/assets/models/stories260K/stories260K.bin',
    ])
      expect(existsSync(path.join(kit, p)), p).toBe(true);
  });

  it('carries koffi as its only native piece (no ONNX Runtime, no canvas)', () => {
    const native = walk(kit).filter((f) => f.endsWith('.node') || f.endsWith('.so'));
    expect(native.map((f) => path.relative(kit, f))).toEqual(['app/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node']);
  });

  it("answers --version on the kit's own runtime, with the commit it was built from", () => {
    expect(runKit(['--version'])).toContain(`git ${manifest.trbench.gitCommit.slice(0, 12)}`);
  });

  it('generates with Token Recycling, token for token equal to plain decoding', () => {
    const out = JSON.parse(
      runKit(['generate', '--prompt', 'Once upon a time', '--max-new-tokens', '16', '--method', 'tr', '--check-lossless', '--json']),
    ) as { text: string; losslessIdentical: boolean; backend: { version: string } };
    expect(out.text).toBe(', there was a little girl named Lily. She loved to play');
    expect(out.losslessIdentical).toBe(true);
    expect(out.backend.version).toContain('prebuilt, from');
  });

  it("carries llama.cpp's HF converter; the bundled convert finds it and checks the node's Python first", () => {
    for (const p of ['convert_hf_to_gguf.py', 'conversion/llama.py', 'gguf-py/gguf/__init__.py', 'converter.json'])
      expect(existsSync(path.join(kit, 'llama.cpp', 'converter', p)), p).toBe(true);
    expect(manifest.files['llama.cpp/converter/convert_hf_to_gguf.py']).toBeDefined();
    const ckpt = path.join(tmp, 'ckpt');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(path.join(ckpt, 'config.json'), '{}');
    writeFileSync(path.join(ckpt, 'model.safetensors'), '');
    // A Python without any of the converter's packages (an empty -I -S interpreter stands in for a bare node).
    const py = path.join(tmp, 'bare-python');
    writeFileSync(py, '#!/bin/sh\nexec python3 -I -S "$@"\n');
    chmodSync(py, 0o755);
    let stderr = '';
    try {
      execFileSync(
        node,
        [path.join(kit, 'app', 'trbench.mjs'), 'convert', '--hf', ckpt, '--out', path.join(tmp, 'x.gguf'), '--python', py],
        {
          cwd: tmp,
          env: { PATH: '/usr/bin:/bin', HOME: tmp, TRBENCH_LLAMA_CONVERTER: path.join(kit, 'llama.cpp', 'converter') },
          stdio: 'pipe',
        },
      );
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(stderr.trim()).toMatch(/cannot import: torch, transformers, sentencepiece, safetensors, numpy \(install them/);
  });

  it('refuses the ONNX backend with one clear line', () => {
    let stderr = '';
    try {
      runKit(['generate', '--prompt', 'Once', '--max-new-tokens', '2', '--backend', 'onnx']);
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(stderr.trim()).toBe('trbench: the ONNX Runtime backend is not in the offline kit: use --backend llama.cpp');
  });
});
