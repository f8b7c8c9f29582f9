import type { BackendInfo, Draft, ModelInfo, Predictions, TargetModel } from '@trbench/core';

/**
 * A target whose greedy output is a given stream (tests only): after the prompt and `produced` generated
 * tokens, the prediction at draft depth d is `stream[produced + d]`, so greedy verification accepts the
 * longest draft prefix that equals the stream. Records every evaluated draft (root excluded).
 */
export class ScriptedModel implements TargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo = { name: 'scripted-mock', version: '0', device: 'cpu', threads: 1 };
  readonly topK = 1;
  readonly maxDraftNodes: number;
  committedLength = 0;
  /** One line per step: "<k> t1 .. tk", the format of the C++ driver. */
  readonly steps: string[] = [];
  private stream = new Int32Array(0);
  private promptLength = 0;
  private readonly stops: Set<number>;

  constructor(maxDraftNodes: number, contextSize: number, stopTokens: number[]) {
    this.maxDraftNodes = maxDraftNodes;
    this.stops = new Set(stopTokens);
    this.info = { name: 'scripted', path: '-', sha256: '0'.repeat(64), vocabSize: 1 << 20, contextSize, stopTokens };
  }

  setRequest(promptLength: number, stream: ArrayLike<number>): void {
    this.promptLength = promptLength;
    this.stream = Int32Array.from(stream);
  }

  isEndOfGeneration(token: number): boolean {
    return this.stops.has(token);
  }
  tokenize(): Int32Array {
    throw new Error('scripted model: no tokenizer');
  }
  detokenize(): string {
    throw new Error('scripted model: no tokenizer');
  }
  reset(): void {
    this.committedLength = 0;
  }
  prefill(tokens: ArrayLike<number>): void {
    this.committedLength += tokens.length;
  }
  evaluate(draft: Draft, out: Predictions): void {
    const produced = this.committedLength - (this.promptLength - 1);
    let line = String(draft.count - 1);
    for (let i = 1; i < draft.count; i++) {
      if (draft.parent[i] !== i - 1) throw new Error('llama.cpp n-gram drafts are chains');
      line += ` ${draft.tokens[i]}`;
    }
    this.steps.push(line);
    for (let i = 0; i < draft.count; i++) {
      const token = this.stream[produced + draft.depth[i]] ?? 0;
      out.argmax[i] = token;
      out.topIds[i * out.k] = token;
      out.topLogits[i * out.k] = 0;
    }
    out.count = draft.count;
  }
  commit(_path: Int32Array, length: number): void {
    this.committedLength += length;
  }
  dispose(): void {}
}
