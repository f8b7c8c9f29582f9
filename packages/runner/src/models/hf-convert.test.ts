import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGgufHeader, resolveModel, sha256File } from '@trbench/assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trbench } from '../testing/cli.ts';
import {
  CONVERTER_ENV,
  CONVERTER_PYTHON_PACKAGES,
  CONVERTER_SCRIPT,
  checkConverterPython,
  converterArgs,
  llamaSourceBundle,
  locateConverter,
} from './hf-convert.ts';

const work = mkdtempSync(path.join(tmpdir(), 'trbench-convert-'));

/** A folder of empty Python packages that shadow (or stand in for) the given names. */
function stubPackages(names: readonly string[]): string {
  const dir = mkdtempSync(path.join(work, 'stubs-'));
  for (const n of names) {
    mkdirSync(path.join(dir, n));
    writeFileSync(path.join(dir, n, '__init__.py'), '');
  }
  return dir;
}

/** A `python3` on PATH that is the real one with `stubs` first on its module path. */
function fakePython(stubs: string): string {
  const bin = mkdtempSync(path.join(work, 'bin-'));
  const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
  writeFileSync(path.join(bin, 'python3'), `#!/bin/sh\nPYTHONPATH=${stubs} exec ${real} "$@"\n`);
  chmodSync(path.join(bin, 'python3'), 0o755);
  return bin;
}

/** A checkpoint folder with the files the argument check looks for (contents never read by the fake converter). */
function fakeCheckpoint(): string {
  const dir = mkdtempSync(path.join(work, 'ckpt-'));
  writeFileSync(path.join(dir, 'config.json'), '{"architectures":["LlamaForCausalLM"]}');
  writeFileSync(path.join(dir, 'model.safetensors'), '');
  return dir;
}

/** A converter folder whose script records its argv and copies FAKE_GGUF to --outfile (or fails with FAKE_FAIL). */
function fakeConverter(): string {
  const dir = mkdtempSync(path.join(work, 'conv-'));
  writeFileSync(
    path.join(dir, CONVERTER_SCRIPT),
    [
      'import json, os, shutil, sys',
      "json.dump({'argv': sys.argv, 'cwd': os.getcwd()}, open(os.environ['FAKE_ARGS'], 'w'))",
      "if os.environ.get('FAKE_FAIL'):",
      "    print('ERROR:hf-to-gguf:Model FooForCausalLM is not supported', file=sys.stderr)",
      '    sys.exit(1)',
      "shutil.copyfile(os.environ['FAKE_GGUF'], sys.argv[sys.argv.index('--outfile') + 1])",
      '',
    ].join('\n'),
  );
  return dir;
}

describe('finding llama.cpp converter', () => {
  const saved = process.env.TRBENCH_CACHE;
  beforeAll(() => {
    process.env.TRBENCH_CACHE = mkdtempSync(path.join(work, 'cache-'));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TRBENCH_CACHE;
    else process.env.TRBENCH_CACHE = saved;
  });

  it("extracts convert_hf_to_gguf.py, conversion/ and gguf-py/ from node-llama-cpp's bundle once, at the bundle's commit", () => {
    const bundle = llamaSourceBundle();
    const head = execFileSync('git', ['bundle', 'list-heads', bundle]).toString().split(' ')[0];
    const loc = locateConverter({});
    expect(loc.origin).toBe('cache');
    expect(loc.commit).toBe(head);
    expect(loc.dir.startsWith(process.env.TRBENCH_CACHE as string)).toBe(true);
    expect(existsSync(loc.script)).toBe(true);
    // The script imports gguf from its gguf-py/ and the model classes from conversion/ (this release has it).
    expect(readFileSync(loc.script, 'utf8')).toContain("'gguf-py'");
    expect(existsSync(path.join(loc.dir, 'gguf-py', 'gguf', '__init__.py'))).toBe(true);
    expect(existsSync(path.join(loc.dir, 'conversion', 'llama.py'))).toBe(true);
    expect(existsSync(path.join(loc.dir, '.git'))).toBe(false);
    // Only the converter's paths: no C++ source.
    expect(readdirSync(loc.dir).sort()).toEqual(['LICENSE', 'conversion', 'convert_hf_to_gguf.py', 'converter.json', 'gguf-py']);
    const mtime = statSync(loc.script).mtimeMs;
    const again = locateConverter({});
    expect(again.dir).toBe(loc.dir);
    expect(statSync(again.script).mtimeMs).toBe(mtime);
  });

  it(`${CONVERTER_ENV} names the folder; one without the script is refused`, () => {
    const dir = fakeConverter();
    expect(locateConverter({ [CONVERTER_ENV]: dir })).toMatchObject({ dir, origin: 'env', script: path.join(dir, CONVERTER_SCRIPT) });
    expect(() => locateConverter({ [CONVERTER_ENV]: work })).toThrow(`no ${CONVERTER_SCRIPT} in ${work}`);
  });
});

describe('the Python check', () => {
  it("finds exactly the packages this machine's python3 cannot import", () => {
    const expected = CONVERTER_PYTHON_PACKAGES.filter((p) => spawnSync('python3', ['-c', `import ${p}`]).status !== 0);
    expect(checkConverterPython('python3').missing).toEqual(expected);
  });

  it('names every missing package of a python that lacks some (PATH), and none when all import', () => {
    const some = fakePython(stubPackages(['torch', 'sentencepiece', 'numpy']));
    expect(checkConverterPython(path.join(some, 'python3')).missing).toEqual(['transformers', 'safetensors']);
    const all = fakePython(stubPackages(CONVERTER_PYTHON_PACKAGES));
    expect(checkConverterPython(path.join(all, 'python3')).missing).toEqual([]);
  });

  it('refuses a python that does not run or is not Python', () => {
    expect(() => checkConverterPython(path.join(work, 'no-python'))).toThrow(/cannot run Python .*not found.*--python/);
    expect(() => checkConverterPython('true')).toThrow(/did not answer the package check/);
  });
});

describe('trbench convert (with a fake converter: arguments, checks, output)', () => {
  let gguf: string;
  beforeAll(async () => {
    gguf = (await resolveModel('stories260K')).path;
  });

  it('passes the checkpoint, a temporary output and the type; renames it into place; prints its sha256 and header', async () => {
    const conv = fakeConverter();
    const ckpt = fakeCheckpoint();
    const out = path.join(work, 'out-q8.gguf');
    const argsLog = path.join(work, 'args.json');
    const bin = fakePython(stubPackages(CONVERTER_PYTHON_PACKAGES));
    const r = await trbench(['convert', '--hf', ckpt, '--out', out, '--type', 'q8_0', '--json'], {
      env: { [CONVERTER_ENV]: conv, PATH: `${bin}:${process.env.PATH}`, FAKE_ARGS: argsLog, FAKE_GGUF: gguf },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { argv, cwd } = JSON.parse(readFileSync(argsLog, 'utf8')) as { argv: string[]; cwd: string };
    expect(argv.slice(0, 4)).toEqual([path.join(conv, CONVERTER_SCRIPT), ckpt, '--outfile', argv[3]]);
    expect(argv[3]).toMatch(new RegExp(`^${out.replace(/\./g, '\\.')}\\.partial-\\d+\\.gguf$`));
    expect(argv.slice(4)).toEqual(['--outtype', 'q8_0']);
    expect(cwd).toBe(conv);
    const facts = JSON.parse(r.stdout) as Record<string, unknown>;
    const header = readGgufHeader(gguf);
    expect(facts).toMatchObject({
      out,
      sha256: await sha256File(gguf),
      bytes: statSync(gguf).size,
      architecture: 'llama',
      tensors: header.tensors.length,
      vocabSize: 512,
      converter: { dir: conv, origin: 'env' },
    });
    expect(await sha256File(out)).toBe(await sha256File(gguf));
    expect(readdirSync(work).filter((f) => f.includes('.partial-'))).toEqual([]);
    // The default type is f16, passed as the converter's own --outtype.
    expect(converterArgs('s.py', 'in', 'o.gguf', 'f16')).toEqual(['s.py', 'in', '--outfile', 'o.gguf', '--outtype', 'f16']);
  });

  it('missing packages: one line naming them, exit 2, the converter never started (--python)', async () => {
    const conv = fakeConverter();
    const argsLog = path.join(conv, 'args.json');
    const bin = fakePython(stubPackages(['numpy', 'torch']));
    const r = await trbench(
      ['convert', '--hf', fakeCheckpoint(), '--out', path.join(work, 'x.gguf'), '--python', path.join(bin, 'python3')],
      { env: { [CONVERTER_ENV]: conv, FAKE_ARGS: argsLog, FAKE_GGUF: gguf } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot import: transformers, sentencepiece, safetensors \(install them/);
    expect(existsSync(argsLog)).toBe(false);
    expect(existsSync(path.join(work, 'x.gguf'))).toBe(false);
  });

  it('a failing converter leaves no file and its last line is the error; bad arguments are named', async () => {
    const conv = fakeConverter();
    const bin = fakePython(stubPackages(CONVERTER_PYTHON_PACKAGES));
    const out = path.join(work, 'fail.gguf');
    const env = { [CONVERTER_ENV]: conv, PATH: `${bin}:${process.env.PATH}`, FAKE_ARGS: path.join(conv, 'a.json'), FAKE_GGUF: gguf };
    const r = await trbench(['convert', '--hf', fakeCheckpoint(), '--out', out], { env: { ...env, FAKE_FAIL: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("llama.cpp's converter failed (exit 1): ERROR:hf-to-gguf:Model FooForCausalLM is not supported");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('.partial-'))).toEqual([]);
    const bad = await trbench(['convert', '--hf', fakeCheckpoint(), '--out', out, '--type', 'q4_0'], { env });
    expect(bad.stderr).toContain('--type "q4_0": expected one of f16, bf16, q8_0');
    const noConfig = await trbench(['convert', '--hf', work, '--out', out], { env });
    expect(noConfig.stderr).toContain('no config.json');
    const notGguf = await trbench(['convert', '--hf', fakeCheckpoint(), '--out', path.join(work, 'x.bin')], { env });
    expect(notGguf.stderr).toContain('expected a file name ending in .gguf');
  });
});

// End to end with the real converter wherever its packages import; here (Debian: no transformers or
// safetensors packages, no other registry) it is skipped, and the reason printed.
const missing = (() => {
  try {
    return checkConverterPython('python3').missing;
  } catch (err) {
    return [(err as Error).message];
  }
})();
const skipReason = missing.length > 0 ? `python3 cannot import ${missing.join(', ')}` : null;
if (skipReason) process.stderr.write(`[hf-convert.test] end-to-end conversion skipped: ${skipReason}\n`);

const WRITE_TINY_LLAMA = `
import json, os, sys
import torch, sentencepiece as spm
from safetensors.torch import save_file
d = sys.argv[1]
corpus = os.path.join(d, 'corpus.txt')
with open(corpus, 'w') as f:
    for i in range(300):
        f.write(f"once upon a time there was a little cat number {i} who liked to play in the warm sun\\n")
spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(d, 'tokenizer'), vocab_size=96, model_type='bpe',
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0, hard_vocab_limit=False)
os.remove(corpus); os.remove(os.path.join(d, 'tokenizer.vocab'))
V = spm.SentencePieceProcessor(model_file=os.path.join(d, 'tokenizer.model')).get_piece_size()
D, F, L, H = 64, 128, 2, 4
json.dump(dict(architectures=['LlamaForCausalLM'], model_type='llama', hidden_size=D, intermediate_size=F,
    num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=H, vocab_size=V, max_position_embeddings=256,
    rms_norm_eps=1e-5, rope_theta=10000.0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
    torch_dtype='float16', hidden_act='silu'), open(os.path.join(d, 'config.json'), 'w'))
g = torch.Generator().manual_seed(0)
r = lambda *s: (torch.randn(*s, generator=g) * 0.05).to(torch.float16)
one = lambda n: torch.ones(n, dtype=torch.float16)
t = {'model.embed_tokens.weight': r(V, D), 'model.norm.weight': one(D), 'lm_head.weight': r(V, D)}
for i in range(L):
    p = f'model.layers.{i}.'
    for n in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
        t[p + 'self_attn.' + n + '.weight'] = r(D, D)
    t[p + 'mlp.gate_proj.weight'] = r(F, D); t[p + 'mlp.up_proj.weight'] = r(F, D); t[p + 'mlp.down_proj.weight'] = r(D, F)
    t[p + 'input_layernorm.weight'] = one(D); t[p + 'post_attention_layernorm.weight'] = one(D)
save_file(t, os.path.join(d, 'model.safetensors'), metadata={'format': 'pt'})
print(V)
`;

describe.skipIf(skipReason !== null)(
  `end to end: a tiny llama checkpoint through llama.cpp's converter${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('converts to an F16 GGUF that trbench reads and llama.cpp generates from', async () => {
      const ckpt = mkdtempSync(path.join(work, 'tiny-'));
      const vocab = Number(execFileSync('python3', ['-c', WRITE_TINY_LLAMA, ckpt]).toString().trim().split('\n').pop());
      const out = path.join(work, 'tiny.gguf');
      const r = await trbench(['convert', '--hf', ckpt, '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const facts = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(facts).toMatchObject({
        architecture: 'llama',
        fileType: 1,
        tensors: 2 * 9 + 3,
        vocabSize: vocab,
        sha256: await sha256File(out),
      });
      const g = await trbench(['generate', '--model', out, '--prompt', 'once upon a time', '--max-new-tokens', '4', '--json']);
      expect(g.code, g.stderr).toBe(0);
      expect((JSON.parse(g.stdout) as { tokens: number[] }).tokens.length).toBeGreaterThan(0);
    }, 300_000);
  },
);
