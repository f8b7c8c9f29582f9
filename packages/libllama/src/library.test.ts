import { describe, expect, it } from 'vitest';
import { LLAMA_CPP_PINNED, loadLlamaLibrary } from './index.ts';

describe('libllama', () => {
  it('loads the pinned CPU build once, its struct layouts checked against the pinned headers', async () => {
    const lib = await loadLlamaLibrary(false);
    expect(lib.variant).toBe('cpu');
    expect(lib.versionString).toContain(LLAMA_CPP_PINNED.nodeLlamaCpp);
    expect(await loadLlamaLibrary(false)).toBe(lib);
  });
});
