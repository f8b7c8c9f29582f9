import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufIdentity } from './gguf-identity.ts';
import { EXTRA_STOP_TOKENS_KEY, GgufMetadata } from './gguf-metadata.ts';
import { type GgufHeader, readGgufHeader, readTensorF32 } from './gguf-read.ts';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';
import { resolveModel } from './models.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-gguf-read-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** The file again from what the reader returned: its metadata in order and its F32 tensors. */
function reencode(header: GgufHeader): Buffer {
  const tensors: GgufTensor[] = header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: readTensorF32(header, t.name) }));
  return encodeGguf([...header.metadata], tensors);
}

const EVERY_TYPE: Array<[string, GgufValue]> = [
  ['t.u8', { type: 'u8', value: 255 }],
  ['t.i8', { type: 'i8', value: -128 }],
  ['t.u16', { type: 'u16', value: 65535 }],
  ['t.i16', { type: 'i16', value: -32768 }],
  ['t.u32', { type: 'u32', value: 4294967295 }],
  ['t.i32', { type: 'i32', value: -2147483648 }],
  ['t.f32', { type: 'f32', value: Math.fround(-1.5e-7) }],
  ['t.f64', { type: 'f64', value: Math.PI }],
  ['t.u64', { type: 'u64', value: 2n ** 64n - 1n }],
  ['t.i64', { type: 'i64', value: -(2n ** 63n) }],
  ['t.bool', { type: 'bool', value: true }],
  ['t.string', { type: 'string', value: 'héllo ▁wörld\u0000end' }],
  ['t.string[]', { type: 'string[]', value: ['', 'a', '<0x0A>', '日本'] }],
  ['t.bool[]', { type: 'bool[]', value: [true, false, true] }],
  ['t.u8[]', { type: 'u8[]', value: Uint8Array.of(0, 7, 255) }],
  ['t.i8[]', { type: 'i8[]', value: Int8Array.of(-128, 0, 127) }],
  ['t.u16[]', { type: 'u16[]', value: Uint16Array.of(1, 65535) }],
  ['t.i16[]', { type: 'i16[]', value: Int16Array.of(-32768, 32767) }],
  ['t.u32[]', { type: 'u32[]', value: Uint32Array.of(0, 4294967295) }],
  ['t.i32[]', { type: 'i32[]', value: Int32Array.of(-1, 2, 3) }],
  ['t.f32[]', { type: 'f32[]', value: Float32Array.of(0.5, -0, Number.POSITIVE_INFINITY) }],
  ['t.f64[]', { type: 'f64[]', value: Float64Array.of(1e300, -2.5) }],
  ['t.u64[]', { type: 'u64[]', value: BigUint64Array.of(0n, 2n ** 53n + 1n) }],
  ['t.i64[]', { type: 'i64[]', value: BigInt64Array.of(-5n, 2n ** 62n) }],
  ['t.empty[]', { type: 'i32[]', value: new Int32Array(0) }],
];

describe('readGgufHeader (the one GGUF reader) round-trips what the writer writes', () => {
  it('every GGUF value type, in order, with its type and value', () => {
    const tensors: GgufTensor[] = [
      { name: 'a', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      { name: 'b', shape: [5], data: Float32Array.of(-1, 0, 1, 2, 3) },
    ];
    const bytes = encodeGguf(EVERY_TYPE, tensors);
    const header = readGgufHeader(written('every-type.gguf', bytes));
    expect(header.version).toBe(3);
    expect(header.fileSize).toBe(bytes.length);
    expect([...header.metadata.keys()]).toEqual(EVERY_TYPE.map(([k]) => k));
    for (const [key, v] of EVERY_TYPE) {
      const got = header.metadata.get(key)!;
      expect(got.type, key).toBe(v.type);
      expect(Array.from(got.value as ArrayLike<unknown>), key).toEqual(Array.from(v.value as ArrayLike<unknown>));
      if (typeof v.value !== 'object') expect(got.value, key).toBe(v.value);
    }
    expect(header.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['a', [2, 3]],
      ['b', [5]],
    ]);
    expect(readTensorF32(header, 'a')).toEqual(tensors[0].data);
    expect(readTensorF32(header, 'b')).toEqual(tensors[1].data);
    // written again from what was read: the same bytes
    expect(reencode(header).equals(bytes)).toBe(true);
  });

  it('stories260K as converted: written again from the reader, byte for byte', async () => {
    const model = await resolveModel('stories260K');
    const header = readGgufHeader(model.path);
    expect(reencode(header).equals(readFileSync(model.path))).toBe(true);
  });

  it('agrees with node-llama-cpp’s parser on every metadata key and the tensor directory', async () => {
    const model = await resolveModel('stories260K');
    const header = readGgufHeader(model.path);
    const info = await readGgufFileInfo(model.path, { sourceType: 'filesystem', logWarnings: false });
    const theirs = (key: string): unknown =>
      key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], info.metadata);
    for (const [key, v] of header.metadata) {
      const mine = typeof v.value === 'object' ? Array.from(v.value as ArrayLike<unknown>) : v.value;
      const other = theirs(key);
      expect(mine, key).toEqual(other);
    }
    expect(header.tensors.map((t) => [t.name, [...t.shape].reverse(), t.type])).toEqual(
      info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType]),
    );
    const metadata = GgufMetadata.of(header);
    expect(metadata.number('llama.block_count')).toBe(5);
    expect(metadata.string('general.architecture')).toBe('llama');
    expect(metadata.extraStopTokens()).toEqual(model.extraStopTokens);
  });
});

describe('GgufMetadata and readGgufIdentity', () => {
  it('typed accessors name the file and key when a value has the wrong type', () => {
    const file = written('typed.gguf', encodeGguf(EVERY_TYPE, []));
    const m = GgufMetadata.read(file);
    expect(m.number('t.i16')).toBe(-32768);
    expect(m.number('t.missing', 7)).toBe(7);
    expect(() => m.number('t.u64')).toThrow(/t\.u64 should be a number, got 18446744073709551615/);
    expect(() => m.number('t.missing')).toThrow(new RegExp(`${file}: metadata key t.missing is missing`));
    expect(() => m.string('t.u8')).toThrow(/t\.u8 should be a string, got 255/);
    expect(m.extraStopTokens()).toEqual([]);
  });

  it('extra stop tokens: an int32 array, sorted and deduplicated; anything else is refused', () => {
    const ok = written('stops.gguf', encodeGguf([[EXTRA_STOP_TOKENS_KEY, { type: 'i32[]', value: [5, 2, 5] }]], []));
    expect(GgufMetadata.read(ok).extraStopTokens()).toEqual([2, 5]);
    const bad = written('stops-bad.gguf', encodeGguf([[EXTRA_STOP_TOKENS_KEY, { type: 'string', value: '2' }]], []));
    expect(() => GgufMetadata.read(bad).extraStopTokens()).toThrow(TrbenchError);
  });

  it('the tokenizer fingerprint: equal for the same tokenizer, different when a token changes', async () => {
    const model = await resolveModel('stories260K');
    const a = readGgufIdentity(model.path);
    expect(a.vocabSize).toBe(512);
    expect(a.twinShape).toBeNull();
    const header = readGgufHeader(model.path);
    const same = written('same.gguf', reencode(header));
    expect(readGgufIdentity(same).tokenizerSha256).toBe(a.tokenizerSha256);
    const tokens = header.metadata.get('tokenizer.ggml.tokens')!.value as string[];
    header.metadata.set('tokenizer.ggml.tokens', { type: 'string[]', value: tokens.map((t, i) => (i === 300 ? `${t}x` : t)) });
    expect(readGgufIdentity(written('changed.gguf', reencode(header))).tokenizerSha256).not.toBe(a.tokenizerSha256);
  });
});

describe('bad files are refused with a TrbenchError naming the file', () => {
  const refuse = (name: string, bytes: Buffer, message: RegExp) => {
    const file = written(name, bytes);
    expect(() => readGgufHeader(file)).toThrow(TrbenchError);
    expect(() => readGgufHeader(file)).toThrow(message);
    expect(() => readGgufHeader(file)).toThrow(file);
  };
  const good = encodeGguf(EVERY_TYPE, [{ name: 'a', shape: [4], data: new Float32Array(4) }]);

  it('not GGUF', () =>
    refuse('junk.gguf', Buffer.from('not a model at all'), /is not a readable GGUF file: it does not start with the bytes "GGUF"/));
  it('an empty file', () => refuse('empty.gguf', Buffer.alloc(0), /does not start with the bytes "GGUF"/));
  it('an unknown version', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(9, 4);
    refuse('version.gguf', b, /GGUF version 9, expected 2 or 3/);
  });
  it('a header cut short', () => refuse('short.gguf', good.subarray(0, 200), /runs past the end of the file \(truncated\?\)/));
  it('an array longer than the file', () => {
    const b = encodeGguf([['x', { type: 'i32[]', value: [1] }]], []);
    b.writeBigUInt64LE(1n << 40n, 24 + 8 + 1 + 4 + 4); // the array's element count
    refuse('long-array.gguf', b, /declares 1099511627776 elements past the end of the file/);
  });
  it('an unknown value type', () => {
    const b = encodeGguf([['x', { type: 'u8', value: 1 }]], []);
    b.writeUInt32LE(77, 24 + 8 + 1);
    refuse('type.gguf', b, /metadata key x has type code 77/);
  });
});
