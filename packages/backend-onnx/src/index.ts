import type { TargetModel, TargetModelOptions } from '@trbench/core';
import { TrbenchError } from '@trbench/core';

export interface OnnxModelOptions extends TargetModelOptions {
  path: string;
  name: string;
  sha256: string;
  extraStopTokens?: number[];
  executionProvider?: 'cpu' | 'webgpu' | 'cuda';
}

/** Placeholder until the ONNX Runtime backend lands (issue 5). */
export class OnnxModel {
  static async open(_options: OnnxModelOptions): Promise<TargetModel> {
    throw new TrbenchError('the onnx backend is not available yet');
  }
}
