import { CORPUS_SAMPLER_VERSION, DATASTORE_FORMAT_VERSION } from '@trbench/baselines';
import type { BackendInfo } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { getMethod } from './index.ts';
import { autoDatastoreFileName, autoDatastoreKey } from './rest.ts';

const SHA = 'ab'.repeat(32);
const backend: BackendInfo = { name: 'llama.cpp', version: 'node-llama-cpp 3.21.1 / llama.cpp v0.4.0', device: 'cpu', threads: 2 };

describe('rest method parameters', () => {
  it("defaults to REST's cut_to_choices and miss token 100; none selects the old behaviours", () => {
    const params = getMethod('rest').params;
    expect(params.parse({ datastore: 'auto' })).toMatchObject({ cut: 'choices', missToken: 100, draftTokens: 64 });
    expect(params.parse({ datastore: 'auto', cut: 'none', missToken: 'none' })).toMatchObject({ cut: 'none', missToken: null });
    expect(params.parse({ datastore: 'auto', missToken: null })).toMatchObject({ missToken: null });
    expect(params.parse({ datastore: 'auto', missToken: 7 })).toMatchObject({ missToken: 7 });
    expect(() => params.parse({ datastore: 'auto', cut: 'top' })).toThrow();
  });
});

describe('auto datastore cache key', () => {
  it('covers the sampler and format versions, the corpus options, the model and the engine', () => {
    const key = autoDatastoreKey({ backend }, SHA);
    expect(key).toMatchObject({ samplerVersion: CORPUS_SAMPLER_VERSION, formatVersion: DATASTORE_FORMAT_VERSION, model: SHA });
    expect(key.corpus).toMatchObject({ samples: 1000, seed: 1, temperature: 1, maxNewTokens: 256 });
    const name = autoDatastoreFileName({ backend }, SHA);
    expect(name).toMatch(/^abababababababab-self-1000-t1-s1-n256-[0-9a-f]{16}\.rest$/);
    // Anything that can change a sampled token changes the file.
    const others = [
      autoDatastoreFileName({ backend }, 'cd'.repeat(32)),
      autoDatastoreFileName({ backend: { ...backend, name: 'onnxruntime' } }, SHA),
      autoDatastoreFileName({ backend: { ...backend, version: 'node-llama-cpp 3.22.0' } }, SHA),
      autoDatastoreFileName({ backend: { ...backend, threads: 4 } }, SHA),
      autoDatastoreFileName({ backend: { ...backend, device: 'cuda' } }, SHA),
      autoDatastoreFileName({ backend: { ...backend, settings: { kvCache: 'f16' } } }, SHA),
    ];
    expect(new Set([name, ...others]).size).toBe(others.length + 1);
    // The same inputs, the same file.
    expect(autoDatastoreFileName({ backend: { ...backend } }, SHA)).toBe(name);
  });
});
