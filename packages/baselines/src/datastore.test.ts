import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const dir = mkdtempSync(path.join(tmpdir(), 'trbench-ds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Datastore', () => {
  const docs = [Int32Array.from([1, 5, 6, 7]), Int32Array.from([1, 5, 6, 9, 2])];

  it('concatenates documents and indexes them', () => {
    const ds = Datastore.build(docs, 16, SHA_A);
    expect(Array.from(ds.tokens)).toEqual([1, 5, 6, 7, 1, 5, 6, 9, 2]);
    expect(ds.documentCount).toBe(2);
    expect(ds.suffixArray.length).toBe(9);
  });

  it('round-trips through its file format', () => {
    const file = path.join(dir, 'ok.rest');
    const ds = Datastore.build(docs, 16, SHA_A);
    ds.save(file);
    const back = Datastore.load(file, SHA_A);
    expect(Array.from(back.tokens)).toEqual(Array.from(ds.tokens));
    expect(Array.from(back.suffixArray)).toEqual(Array.from(ds.suffixArray));
    expect(back.vocabSize).toBe(16);
    expect(back.modelSha256).toBe(SHA_A);
    expect(back.documentCount).toBe(2);
    expect(readFileSync(file).subarray(0, 8).toString('latin1')).toBe('TRBRESTD');
  });

  it("refuses another model's datastore, naming both hashes", () => {
    const file = path.join(dir, 'other.rest');
    Datastore.build(docs, 16, SHA_A).save(file);
    expect(() => Datastore.load(file, SHA_B)).toThrow(TrbenchError);
    expect(() => Datastore.load(file, SHA_B)).toThrow(new RegExp(`${SHA_A}.*${SHA_B}`));
  });

  it('rejects a foreign file, a truncated file and a missing file with clear errors', () => {
    const foreign = path.join(dir, 'foreign.bin');
    writeFileSync(foreign, Buffer.alloc(200, 7));
    expect(() => Datastore.load(foreign)).toThrow(/bad magic/);
    const good = Datastore.build(docs, 16, SHA_A).toBytes();
    const cut = path.join(dir, 'cut.rest');
    writeFileSync(cut, good.subarray(0, good.length - 4));
    expect(() => Datastore.load(cut)).toThrow(/truncated/);
    expect(() => Datastore.load(path.join(dir, 'nope.rest'))).toThrow(/cannot read datastore .*nope\.rest: ENOENT/);
  });

  it('rejects tokens outside the vocabulary when building', () => {
    expect(() => Datastore.build([Int32Array.from([1, 99])], 16, SHA_A)).toThrow(/document 1, token 1: 99/);
  });
});
