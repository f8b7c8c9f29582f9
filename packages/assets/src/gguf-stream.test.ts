import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InterruptedError } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { f32TensorWriter } from './derived.ts';
import { type StreamTensor, writeGgufStream, writeGgufStreamAsync } from './gguf-stream.ts';
import { GGML_TYPE } from './quantize.ts';

const tensors = (): StreamTensor[] =>
  Array.from({ length: 6 }, (_, i) => {
    const data = Float32Array.from({ length: 64 * 256 }, (_, j) => Math.sin(i * 1000 + j));
    return { name: `t${i}`, shape: [64, 256], type: GGML_TYPE.F32, write: f32TensorWriter(data, [64, 256], GGML_TYPE.F32) };
  });
const metadata: Array<[string, { type: 'string'; value: string }]> = [['general.name', { type: 'string', value: 'test' }]];

describe('writeGgufStreamAsync', () => {
  it('writes the same bytes as writeGgufStream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-gguf-'));
    writeGgufStream(path.join(dir, 'a.gguf'), metadata, tensors(), { chunkBytes: 1 << 16 });
    await writeGgufStreamAsync(path.join(dir, 'b.gguf'), metadata, tensors(), { chunkBytes: 1 << 16 });
    expect(readFileSync(path.join(dir, 'b.gguf')).equals(readFileSync(path.join(dir, 'a.gguf')))).toBe(true);
  });

  it('stops between tensors once its signal is aborted: nothing at the target, no temporary file left', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-gguf-'));
    const controller = new AbortController();
    const flushes: number[] = [];
    const writing = writeGgufStreamAsync(path.join(dir, 'm.gguf'), metadata, tensors(), {
      chunkBytes: 1 << 16,
      signal: controller.signal,
      onProgress: (done) => {
        flushes.push(done);
        if (flushes.length === 2) controller.abort(new InterruptedError('SIGINT'));
      },
    });
    await expect(writing).rejects.toBeInstanceOf(InterruptedError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
