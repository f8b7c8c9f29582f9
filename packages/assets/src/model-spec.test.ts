import { TrbenchError } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { NAMED_TWIN_SHAPES, parseModelSpec } from './model-spec.ts';
import { resolveModel } from './models.ts';

describe('twin specs', () => {
  it('parses named and explicit shapes; the type defaults to f16; the canonical form names the shape', () => {
    expect(parseModelSpec('twin:vicuna-7b')).toMatchObject({
      kind: 'twin',
      name: 'twin:vicuna-7b:f16',
      canonical: 'twin:d4096-l32-h32-kv32-f11008-v32000:f16',
      shape: { dim: 4096, layers: 32, heads: 32, kvHeads: 32, ffn: 11008 },
      type: 'f16',
    });
    expect(parseModelSpec('twin:llama-3-8b:q4_0')).toMatchObject({ canonical: 'twin:d4096-l32-h32-kv8-f14336-v128256:q4_0' });
    expect(parseModelSpec('twin:d256-l6-h16-kv8-f688:f32')).toMatchObject({
      name: 'twin:d256-l6-h16-kv8-f688:f32',
      shape: { dim: 256, layers: 6, heads: 16, kvHeads: 8, ffn: 688 },
    });
    for (const name of Object.keys(NAMED_TWIN_SHAPES)) expect(parseModelSpec(`twin:${name}:q8_0`)?.kind).toBe('twin');
  });

  it("named shapes have their model's vocabulary; custom shapes take -v<V> (default 512, which the canonical form omits)", () => {
    expect(parseModelSpec('twin:vicuna-7b')).toMatchObject({
      canonical: 'twin:d4096-l32-h32-kv32-f11008-v32000:f16',
      shape: { vocab: 32_000 },
    });
    expect(parseModelSpec('twin:vicuna-13b')).toMatchObject({ shape: { vocab: 32_000 } });
    expect(parseModelSpec('twin:vicuna-33b')).toMatchObject({ shape: { vocab: 32_000 } });
    expect(parseModelSpec('twin:tinyllama-1.1b')).toMatchObject({ shape: { vocab: 32_000 } });
    expect(parseModelSpec('twin:llama-3-8b')).toMatchObject({ shapeString: 'd4096-l32-h32-kv8-f14336-v128256', shape: { vocab: 128_256 } });
    expect(parseModelSpec('twin:d2048-l8-h32-kv16-f5632-v32000')).toMatchObject({
      name: 'twin:d2048-l8-h32-kv16-f5632-v32000:f16',
      canonical: 'twin:d2048-l8-h32-kv16-f5632-v32000:f16',
      shape: { dim: 2048, layers: 8, heads: 32, kvHeads: 16, ffn: 5632, vocab: 32_000 },
    });
    expect(parseModelSpec('twin:d512-l5-h32-kv4-f1376')).toMatchObject({ shapeString: 'd512-l5-h32-kv4-f1376', shape: { vocab: 512 } });
    expect(parseModelSpec('twin:d512-l5-h32-kv4-f1376-v512')).toMatchObject({ canonical: 'twin:d512-l5-h32-kv4-f1376:f16' });
  });

  it.each([
    ['twin:vicuna-70b', /unknown shape "vicuna-70b"/],
    ['twin:vicuna-7b:q5_k', /unknown type "q5_k"/],
    ['twin:d256-l6-h24-kv8-f688', /24 heads do not divide the width 256/],
    ['twin:d256-l6-h16-kv5-f688', /5 KV heads do not divide 16 heads/],
    ['twin:d32-l6-h4-kv4-f688', /width 32 is below stories260K's 64/],
    ['twin:d256-l4-h16-kv8-f688', /4 layers is below stories260K's 5/],
    ['twin:d256-l6-h16-kv2-f688', /2 KV heads is below stories260K's 4/],
    ['twin:d256-l6-h16-kv8-f100', /FFN width 100 is below stories260K's 172/],
    ['twin:d192-l6-h16-kv8-f688', /head size 12 \(192\/16\) is not a multiple of stories260K's 8/],
    ['twin:d256-l6-h16-kv8-f180:q8_0', /q8_0 needs the width and FFN width to be multiples of 32/],
    ['twin:d256-l6-h16-kv8-f688-v0', /vocabulary "-v0" is below stories260K's 512 tokens/],
    ['twin:d256-l6-h16-kv8-f688-v511', /vocabulary "-v511" is below stories260K's 512 tokens/],
    ['twin:d256-l6-h16-kv8-f688-v1.5', /vocabulary "-v1\.5" is not a positive integer/],
    ['twin:d256-l6-h16-kv8-f688-v', /vocabulary "-v" is not a positive integer/],
    ['twin:d256-l6-h16-kv8-f688-v32k', /vocabulary "-v32k" is not a positive integer/],
    ['twin:d256-l6-h16-kv8-f688-v262145', /vocabulary "-v262145" is above the largest twin vocabulary, 262144/],
    ['twin:d64-l5-h8-kv4-f172-v1024', /a vocabulary above 512 needs a width of at least 96 .*got 64/],
    ['twin:', /wrong number of parts/],
    ['twin:vicuna-7b:f16:extra', /wrong number of parts/],
  ])('%s → one-line error listing the named shapes', async (spec, why) => {
    const err = (() => {
      try {
        parseModelSpec(spec);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TrbenchError);
    const message = (err as Error).message;
    expect(message).toMatch(why);
    expect(message).not.toContain('\n');
    for (const name of Object.keys(NAMED_TWIN_SHAPES)) expect(message).toContain(name);
    await expect(resolveModel(spec)).rejects.toThrow(why);
  });
});

describe('derived stories260K specs', () => {
  it('parses layer lists and types into a canonical spec', () => {
    expect(parseModelSpec('stories260K:q8_0')).toEqual({ kind: 'derived', canonical: 'stories260K:q8_0', layers: null, type: 'q8_0' });
    expect(parseModelSpec('stories260K:q4_0:layers=0,1,2,4')).toEqual({
      kind: 'derived',
      canonical: 'stories260K:layers=0,1,2,4:q4_0',
      layers: [0, 1, 2, 4],
      type: 'q4_0',
    });
    expect(parseModelSpec('stories260K')).toBeNull();
    expect(parseModelSpec('models/x.gguf')).toBeNull();
  });

  it.each([
    ['stories260K:layers=0,5', /layer 5 does not exist/],
    ['stories260K:layers=2,1', /strictly ascending/],
    ['stories260K:layers=a', /bad layer list/],
    ['stories260K:q8_0:q4_0', /type given twice/],
    ['stories260K:int8', /unknown part "int8"/],
  ])('%s → one-line error', (spec, why) => {
    expect(() => parseModelSpec(spec)).toThrow(why);
  });
});
