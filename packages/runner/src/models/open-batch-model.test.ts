import { describe, expect, it } from 'vitest';
import { openBatchModel } from './open-batch-model.ts';

describe('openBatchModel', () => {
  it('refuses batch > 1 on ONNX in one line with the reason, and engine ranking', async () => {
    const base = { model: 'stories260K', threads: 1, maxDraftNodes: 4, topK: 1, batch: 4 };
    await expect(openBatchModel({ ...base, backend: 'onnx' })).rejects.toThrow(
      /^batch 4: the ONNX backend decodes one request at a time \(its generated graph has no batch dimension/,
    );
    await expect(openBatchModel({ ...base, backend: 'llama.cpp', rank: 'engine' })).rejects.toThrow(/ranks on the host/);
  });
});
