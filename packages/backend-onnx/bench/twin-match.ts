/**
 * How many story-suite prompts a model derived from stories260K (a quantised twin, `stories260K:q8_0`, …)
 * still decodes exactly as stories260K does, greedy, on both backends. Quantised models compute another
 * function, so this is a count to report, not a pass/fail: losslessness of speculative methods on them is
 * judged against plain decoding of the same file.
 *
 *   npx tsx packages/backend-onnx/bench/twin-match.ts [--tokens 200] <spec> [<spec> ...]
 */
import { loadStorySuite, resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { AutoregressiveDrafter, DecodeLoop, type TargetModel } from '@trbench/core';
import { OnnxModel } from '../src/index.ts';

const args = process.argv.slice(2);
const ti = args.indexOf('--tokens');
const maxNewTokens = ti < 0 ? 200 : Number(args.splice(ti, 2)[1]);
const specs = args;
const stories = loadStorySuite();

async function open(spec: string, backend: string): Promise<TargetModel> {
  const m = await resolveModel(spec);
  const common = { path: m.path, name: m.name, sha256: m.sha256, maxDraftNodes: 1, topK: 1, extraStopTokens: m.extraStopTokens };
  return backend === 'onnx' ? OnnxModel.open(common) : LlamaCppModel.open({ ...common, gpu: false, kvCacheType: 'f32' });
}
async function decodeAll(spec: string, backend: string): Promise<Int32Array[]> {
  const model = await open(spec, backend);
  try {
    const loop = new DecodeLoop(model, new AutoregressiveDrafter());
    return stories.map((s) => loop.generate(model.tokenize(s.prompt, true), { maxNewTokens }).tokens);
  } finally {
    model.dispose();
  }
}
const same = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((t, i) => t === b[i]);
/** Tokens equal to the reference before the first difference. */
const prefix = (a: Int32Array, b: Int32Array) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

console.log(
  `greedy, ${stories.length} stories × ${maxNewTokens} tokens: prompts identical to stories260K (mean tokens before the first difference)`,
);
console.log(`| model | llama.cpp | onnx |\n|---|---:|---:|`);
const reference = new Map<string, Int32Array[]>();
for (const backend of ['llama.cpp', 'onnx']) reference.set(backend, await decodeAll('stories260K', backend));
for (const spec of specs) {
  const cells: string[] = [];
  for (const backend of ['llama.cpp', 'onnx']) {
    const want = reference.get(backend)!;
    const got = await decodeAll(spec, backend);
    const meanPrefix = got.reduce((a, g, i) => a + prefix(g, want[i]), 0) / stories.length;
    cells.push(`${got.filter((g, i) => same(g, want[i])).length}/${stories.length} (${meanPrefix.toFixed(0)})`);
  }
  console.log(`| ${spec} | ${cells.join(' | ')} |`);
}
