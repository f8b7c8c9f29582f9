/**
 * SAM-Decoding on stories260K: MAT per Spec-Bench subtask and on the story suite beside TR and two retrieval
 * baselines, the share of steps per draft source with MAT per source (the paper's Fig. 9), and a prompt that
 * repeats its own earlier text. Every output is also compared with plain greedy decoding.
 *
 *   npx tsx packages/runner/bench/sam-report.ts [--backend onnx] [--out results/reports/sam-mat.md] [--max-new-tokens 200]
 *
 * Suites: the 48 story openings and every Spec-Bench first turn that fits the 512-token context (raw template:
 * BOS + the turn's text), 200 new tokens, one drafter per method and suite (TR's and SAM[T]'s tables hot across
 * the suite), prompts in file order. MAT is deterministic (the same on both backends, f32); no timing here.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSpecBenchQuestions, loadStorySuite, repoRoot, writeFileAtomic } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, type Drafter, type TargetModel } from '@trbench/core';
import { DRAFT_SOURCES, type SamOnlyDrafter, type SamTrDrafter, SourceCounters } from '@trbench/sam';
import { specBenchSubtask } from '../src/datasets/spec-bench.ts';
import { createDrafter } from '../src/methods/index.ts';
import { type BackendName, openModel } from '../src/models/open-model.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'onnx' },
    out: { type: 'string', default: path.join(repoRoot, 'results/reports/sam-mat.md') },
    'max-new-tokens': { type: 'string', default: '200' },
  },
});
const MAX_NEW = Number(values['max-new-tokens']);
const backend = values.backend as BackendName;

const METHODS: [string, string, Record<string, unknown>][] = [
  ['TR 2.2.2', 'tr', {}],
  ['sam-tr', 'sam-tr', {}],
  ['sam', 'sam', {}],
  ['SuffixDecoding', 'suffix', {}],
  ['PLD', 'pld', {}],
  ['sam-tr, no corpus', 'sam-tr', { corpus: 'none' }],
];

interface Prompt {
  id: string;
  group: string;
  ids: Int32Array;
  reference: Int32Array;
}

const t0 = Date.now();
const opened = await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: 81, topK: 8 });
const model: TargetModel = opened.model;
const context = {
  vocabSize: model.info.vocabSize,
  modelSha256: opened.resolved.sha256,
  modelName: 'stories260K',
  modelSpec: 'stories260K',
  model,
};
const plain = new DecodeLoop(model, new AutoregressiveDrafter());
const prep = (id: string, group: string, text: string): Prompt | null => {
  const ids = model.tokenize(text, true);
  if (ids.length >= model.info.contextSize) return null;
  return { id, group, ids, reference: plain.generate(ids, { maxNewTokens: MAX_NEW }).tokens };
};
const stories = loadStorySuite()
  .map((s) => prep(s.id, 'stories', s.prompt))
  .filter((p): p is Prompt => p !== null);
const questions = await loadSpecBenchQuestions();
const specBench = questions
  .map((q) => prep(String(q.question_id), specBenchSubtask(q.category), q.turns[0]))
  .filter((p): p is Prompt => p !== null);
const skipped = questions.length - specBench.length;
// A prompt that repeats its own earlier text: opening + its greedy continuation + the opening again.
const repeats = loadStorySuite()
  .slice(0, 8)
  .map((s, i) => {
    const cont = model.detokenize(stories[i].reference);
    return prep(`${s.id}-repeat`, 'repeat', `${s.prompt}${cont} ${s.prompt}`);
  })
  .filter((p): p is Prompt => p !== null);
process.stderr.write(
  `[sam-report] references ready (${((Date.now() - t0) / 1000).toFixed(0)} s); ${skipped} Spec-Bench prompts do not fit\n`,
);

interface Cell {
  tokens: number;
  steps: number;
  identical: number;
  prompts: number;
}
const results = new Map<string, Map<string, Cell>>();
const sources = new Map<string, Map<string, SourceCounters>>();

for (const [label, method, params] of METHODS) {
  const cells = new Map<string, Cell>();
  const bySuite = new Map<string, SourceCounters>();
  for (const [suiteName, suite] of [
    ['stories', stories],
    ['spec-bench', specBench],
    ['repeat', repeats],
  ] as const) {
    const drafter: Drafter = await createDrafter(method, params, context);
    const loop = new DecodeLoop(model, drafter);
    const counters = new SourceCounters();
    for (const p of suite) {
      const r = loop.generate(p.ids, { maxNewTokens: MAX_NEW });
      for (const key of [p.group, suiteName === 'spec-bench' ? 'spec-bench' : null]) {
        if (!key) continue;
        const c = cells.get(key) ?? { tokens: 0, steps: 0, identical: 0, prompts: 0 };
        c.tokens += r.tokens.length;
        c.steps += r.steps;
        c.prompts++;
        if (r.tokens.length === p.reference.length && r.tokens.every((t, i) => t === p.reference[i])) c.identical++;
        cells.set(key, c);
      }
      const s = (drafter as Partial<SamTrDrafter | SamOnlyDrafter>).request;
      if (s) {
        for (let i = 0; i < DRAFT_SOURCES.length; i++) {
          counters.steps[i] += s.steps[i];
          counters.tokens[i] += s.tokens[i];
        }
      }
    }
    bySuite.set(suiteName, counters);
    process.stderr.write(`[sam-report] ${label} ${suiteName} done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  results.set(label, cells);
  sources.set(label, bySuite);
}

const groups = ['stories', 'mt_bench', 'translation', 'qa', 'math_reasoning', 'summarization', 'rag', 'spec-bench', 'repeat'];
const present = groups.filter((g) => [...results.values()].some((c) => c.has(g)));
const lines: string[] = [];
lines.push(`# SAM-Decoding on stories260K: MAT per subtask and per draft source`);
lines.push('');
lines.push(
  `Generated by \`npx tsx packages/runner/bench/sam-report.ts --backend ${backend}\` (${new Date().toISOString().slice(0, 10)}; ${((Date.now() - t0) / 60000).toFixed(1)} min). stories260K, ${backend}, ${MAX_NEW} new tokens, raw template (BOS + text). Story suite: ${stories.length} openings; Spec-Bench: every first turn that fits the 512-token context (${specBench.length} of ${questions.length}; summarization and RAG prompts do not fit); repeat: the first 8 openings followed by their own greedy continuation and the opening again. One drafter per method and suite, prompts in file order. Static corpus: REST's self-sampled corpus (\`corpus: auto\`). Each cell: MAT, then identical-to-greedy count.`,
);
lines.push('');
lines.push(`| method | ${present.join(' | ')} |`);
lines.push(`|---|${present.map(() => '---:').join('|')}|`);
for (const [label, cells] of results) {
  const row = present.map((g) => {
    const c = cells.get(g);
    return c ? `${(c.tokens / c.steps).toFixed(2)} (${c.identical}/${c.prompts})` : '–';
  });
  lines.push(`| ${label} | ${row.join(' | ')} |`);
}
lines.push('');
lines.push("## Draft sources (the paper's Fig. 9: share of steps, MAT of those steps)");
lines.push('');
lines.push('| method | suite | dynamic chain | static chain / tree | TR tree | none (plain step) |');
lines.push('|---|---|---:|---:|---:|---:|');
for (const [label, bySuite] of sources) {
  if (!label.startsWith('sam')) continue;
  for (const [suite, c] of bySuite) {
    const total = c.steps.reduce((a, b) => a + b, 0);
    const cell = (i: number) =>
      c.steps[i] === 0 ? '–' : `${((100 * c.steps[i]) / total).toFixed(1)} %, MAT ${(c.tokens[i] / c.steps[i]).toFixed(2)}`;
    lines.push(`| ${label} | ${suite} | ${cell(0)} | ${cell(1)} | ${cell(2)} | ${cell(3)} |`);
  }
}
lines.push('');
writeFileAtomic(values.out as string, `${lines.join('\n')}\n`);
process.stderr.write(`[sam-report] wrote ${values.out}\n`);
model.dispose();
