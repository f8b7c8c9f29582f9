export type { AttentionForm } from './llama-graph.ts';
export { OnnxModel, type OnnxModelOptions } from './onnx-model.ts';
export { type ExecutionProvider, listExecutionProviders } from './ort-session.ts';
