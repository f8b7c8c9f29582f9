import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveModel } from './models.ts';
import { FILES } from './registry.ts';
import { ensureFile } from './store.ts';

const saved = { cache: process.env.TRBENCH_CACHE, mirror: process.env.TRBENCH_MIRROR };
afterEach(() => {
  process.env.TRBENCH_CACHE = saved.cache;
  process.env.TRBENCH_MIRROR = saved.mirror;
  if (saved.cache === undefined) delete process.env.TRBENCH_CACHE;
});

function sandbox(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'trbench-store-'));
  process.env.TRBENCH_CACHE = path.join(dir, 'cache');
  return dir;
}

describe('asset store', () => {
  it('copies from the mirror into the cache and then serves the cache', async () => {
    sandbox();
    expect((await ensureFile(FILES.stories260KTokenizer)).origin).toBe('mirror');
    expect((await ensureFile(FILES.stories260KTokenizer)).origin).toBe('cache');
  });

  it('refuses a mirror file whose checksum does not match, and caches nothing', async () => {
    const dir = sandbox();
    const mirror = path.join(dir, 'mirror');
    mkdirSync(path.join(mirror, 'models', 'stories260K'), { recursive: true });
    writeFileSync(path.join(mirror, FILES.stories260KTokenizer.relPath), 'not the tokenizer');
    process.env.TRBENCH_MIRROR = mirror;
    await expect(ensureFile(FILES.stories260KTokenizer)).rejects.toThrow(
      /checksum mismatch for models\/stories260K\/tok512\.bin: .* has sha256 [0-9a-f]{64}, expected 037cb335/,
    );
    await expect(ensureFile(FILES.stories260KTokenizer)).rejects.toThrow(/checksum mismatch/);
  });

  it('names missing, non-GGUF and unknown models clearly', async () => {
    const dir = sandbox();
    const fake = path.join(dir, 'fake.gguf');
    writeFileSync(fake, 'hello world');
    await expect(resolveModel(fake)).rejects.toThrow(`not a GGUF file: ${fake}`);
    await expect(resolveModel(path.join(dir, 'missing.gguf'))).rejects.toThrow(/model file not found: .*missing\.gguf/);
    await expect(resolveModel('llama-9000')).rejects.toThrow(/unknown model "llama-9000"/);
    await expect(resolveModel('hf:justone.gguf')).rejects.toThrow(/bad model URI/);
    const copy = path.join(dir, 'copy.gguf');
    cpSync((await resolveModel('stories260K')).path, copy);
    await expect(resolveModel(copy, { expectedSha256: 'f'.repeat(64) })).rejects.toThrow(/checksum mismatch for model/);
  });
});
