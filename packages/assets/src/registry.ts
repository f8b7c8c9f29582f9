import type { RemoteFile } from './store.ts';

/** Public files trbench knows by name (provenance and licences: shared assets README). */
export const FILES = {
  stories260KCheckpoint: {
    relPath: 'models/stories260K/stories260K.bin',
    url: 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin',
    sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696',
  },
  stories260KTokenizer: {
    relPath: 'models/stories260K/tok512.bin',
    url: 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin',
    sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312',
  },
  specBench: {
    relPath: 'datasets/spec_bench/question.jsonl',
    url: 'https://raw.githubusercontent.com/hemingkx/Spec-Bench/main/data/spec_bench/question.jsonl',
    sha256: '4b6d33e79484f9841c487ee87d1cf6aa8c6066f61d5d482ff09e5a007fafdf04',
  },
  mbpp: {
    relPath: 'datasets/mbpp/question.jsonl',
    url: 'https://raw.githubusercontent.com/Luowaterbi/TokenRecycling/main/data/mbpp/question.jsonl',
    sha256: '4ef443d46893b3c806247b8b074da1f4f2d04cd97f64b7934549dad16d292399',
  },
} as const satisfies Record<string, RemoteFile>;
