/**
 * Host cost per decode step: the µs spent outside the engine's forward (logits transfer, ranking,
 * drafter, verify, update, rest) beside the forward itself, for vocabularies × draft sizes × greedy/T=1 ×
 * backends × ranking paths, on twins of one small shape with the wide vocabularies (so that the forward
 * stays cheap on a CPU and the vocabulary-bound host work is what shows). Writes Markdown + JSON:
 *
 *   flock /work/timing.lock npx tsx packages/runner/bench/host-cost.ts --out results/reports/host-cost.md
 *     [--backends llama.cpp,onnx] [--ranks host,engine] [--vocabs 512,32000,128256] [--nodes 1,8,81]
 *     [--modes greedy,t1] [--shape d128-l5-h8-kv4-f172] [--tokens 48] [--threads 1] [--device cpu]
 *     [--sampling-top-k 0] [--models twin:vicuna-7b,...]
 *
 * `--models` replaces the twins of `--shape` × `--vocabs` by the given model specs (V is each model's own).
 * Per configuration: one warm-up request, then `--tokens` new tokens on each of two story prompts
 * (drafter: AR for 1 node, Token Recycling `greedy:<n−1>:<depth>` for 8, the paper's 2.2.2 for 81).
 * The split comes from the decode loop's step log (draft, evaluate, verify, update, other) and the
 * backend's `evaluateTiming` (forward, transfer, rank inside evaluate); `rest` = the remainder of evaluate
 * plus the loop's bookkeeping and KV commit. T=1 is temperature 1 with `--sampling-top-k` (0 = whole
 * vocabulary, which the llama.cpp engine path refuses: such rows say so).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AutoregressiveDrafter, DecodeLoop, type Drafter, type SamplingOptions, type TargetModel, TrbenchError } from '@trbench/core';
import { parseTemplate, TokenRecyclingDrafter } from '@trbench/token-recycling';
import { captureEnvironment } from '../src/env/environment.ts';
import { type BackendName, openModel, parseBackend, parseRank, type RankName } from '../src/models/open-model.ts';
import { arg } from './args.ts';

function ints(name: string, fallback: string, min = 1): number[] {
  const text = arg(name, fallback);
  return text.split(',').map((x) => {
    const v = Number(x);
    if (!Number.isInteger(v) || v < min)
      throw new TrbenchError(`--${name}: expected integers >= ${min} separated by commas, got ${JSON.stringify(text)}`);
    return v;
  });
}

const MODES = ['greedy', 't1'] as const;
type Mode = (typeof MODES)[number];

const backends = arg('backends', 'llama.cpp,onnx').split(',').map(parseBackend);
const ranks = arg('ranks', 'host,engine')
  .split(',')
  .map((r) => parseRank(r, '--ranks'))
  .filter((r) => r !== 'auto');
const vocabs = ints('vocabs', '512,32000,128256');
const models = process.argv.includes('--models') ? arg('models', '').split(',') : null;
const nodeCounts = ints('nodes', '1,8,81');
const modes = arg('modes', 'greedy,t1')
  .split(',')
  .map((m) => {
    if (!(MODES as readonly string[]).includes(m))
      throw new TrbenchError(`--modes: unknown mode ${JSON.stringify(m)}; expected greedy, t1`);
    return m as Mode;
  });
const shape = arg('shape', 'd128-l5-h8-kv4-f172');
const tokens = ints('tokens', '48')[0];
const threads = ints('threads', '1')[0];
const samplingTopK = ints('sampling-top-k', '0', 0)[0];
const device = process.argv.includes('--device') ? arg('device', '') : undefined;
const out = arg('out', '');
const PROMPTS = ['Once upon a time, there was a little girl named Lily.', 'Tom and his dog went to the park.'];
const maxNodes = Math.max(...nodeCounts);

interface Row {
  backend: BackendName;
  rank: RankName;
  vocab: number;
  nodes: number;
  mode: Mode;
  model?: string;
  refused?: string;
  steps?: number;
  meanDraftNodes?: number;
  /** µs per step. */
  us?: { forward: number; transfer: number; rank: number; drafter: number; verify: number; update: number; rest: number };
  settings?: Record<string, unknown>;
  version?: string;
}

const modelSpec = (vocab: number) => `twin:${shape}${vocab === 512 ? '' : `-v${vocab}`}:f32`;

function drafterFor(nodes: number, model: TargetModel, sha256: string): Drafter {
  if (nodes === 1) return new AutoregressiveDrafter();
  const template = nodes === 81 ? '2.2.2' : `greedy:${nodes - 1}:${Math.min(nodes - 1, 4)}`;
  return new TokenRecyclingDrafter({ vocabSize: model.info.vocabSize, k: 8, template: parseTemplate(template, 8), modelSha256: sha256 });
}

function measure(
  model: TargetModel,
  sha256: string,
  nodes: number,
  sampling: SamplingOptions | undefined,
): Required<Pick<Row, 'steps' | 'meanDraftNodes' | 'us'>> {
  const timing = model.evaluateTiming;
  if (!timing) throw new Error(`backend ${model.backend.name} does not report evaluateTiming`);
  const inside = { forward: 0, transfer: 0, rank: 0 };
  const evaluate = model.evaluate.bind(model);
  model.evaluate = (draft, predictions, withLogSumExp) => {
    evaluate(draft, predictions, withLogSumExp);
    inside.forward += timing.forwardMs;
    inside.transfer += timing.transferMs;
    inside.rank += timing.rankMs;
  };
  const loop = new DecodeLoop(model, drafterFor(nodes, model, sha256));
  const prompts = PROMPTS.map((p) => model.tokenize(p, true));
  loop.generate(prompts[0], { maxNewTokens: 8, sampling, stopAtEndOfGeneration: false }); // warm-up
  inside.forward = inside.transfer = inside.rank = 0;
  const sum = { steps: 0, nodes: 0, draft: 0, evaluate: 0, verify: 0, update: 0, other: 0 };
  prompts.forEach((prompt, i) => {
    const r = loop.generate(prompt, { maxNewTokens: tokens, sampling: sampling && { ...sampling, seed: i }, stopAtEndOfGeneration: false });
    sum.steps += r.steps;
    sum.nodes += r.draftNodes.reduce((a, b) => a + b, 0);
    sum.draft += r.timing.draftMs;
    sum.evaluate += r.timing.forwardMs;
    sum.verify += r.timing.verifyMs;
    sum.update += r.timing.updateMs;
    sum.other += r.timing.otherMs;
  });
  const us = (ms: number) => (ms * 1000) / sum.steps;
  return {
    steps: sum.steps,
    meanDraftNodes: sum.nodes / sum.steps,
    us: {
      forward: us(inside.forward),
      transfer: us(inside.transfer),
      rank: us(inside.rank),
      drafter: us(sum.draft),
      verify: us(sum.verify),
      update: us(sum.update),
      rest: us(sum.evaluate - inside.forward - inside.transfer - inside.rank + sum.other),
    },
  };
}

const rows: Row[] = [];
const t0 = Date.now();
for (const backend of backends) {
  for (const rank of ranks) {
    for (const spec of models ?? vocabs.map(modelSpec)) {
      for (const mode of modes) {
        let vocab = models ? 0 : vocabs[vocabs.map(modelSpec).indexOf(spec)];
        const sampling: SamplingOptions | undefined = mode === 't1' ? { temperature: 1, topK: samplingTopK, topP: 1, seed: 0 } : undefined;
        const base = { backend, rank, vocab, mode };
        let opened: Awaited<ReturnType<typeof openModel>>;
        try {
          opened = await openModel({
            model: spec,
            backend,
            threads,
            device,
            maxDraftNodes: maxNodes,
            topK: 8,
            contextSize: 512,
            exposeLogits: mode === 't1',
            samplingTopK: mode === 't1' ? samplingTopK : undefined,
            rank,
          });
        } catch (err) {
          if (!(err instanceof TrbenchError)) throw err;
          for (const nodes of nodeCounts) rows.push({ ...base, nodes, model: spec, refused: err.message });
          console.error(`${backend} ${rank} ${spec} ${mode}: refused: ${err.message}`);
          continue;
        }
        const { model, resolved } = opened;
        vocab = model.info.vocabSize;
        try {
          for (const nodes of nodeCounts) {
            const m = measure(model, resolved.sha256, nodes, sampling);
            rows.push({
              ...base,
              vocab,
              nodes,
              model: resolved.name,
              ...m,
              settings: model.backend.settings,
              version: model.backend.version,
            });
            const u = m.us;
            console.error(
              `${backend} ${rank} V=${vocab} ${mode} n=${nodes}: forward ${u.forward.toFixed(0)} µs, transfer ${u.transfer.toFixed(0)}, rank ${u.rank.toFixed(0)}, ` +
                `drafter ${u.drafter.toFixed(0)}, verify ${u.verify.toFixed(0)}, update ${u.update.toFixed(0)}, rest ${u.rest.toFixed(0)}`,
            );
          }
        } finally {
          model.dispose();
        }
      }
    }
  }
}

const environment = captureEnvironment();
const seconds = (Date.now() - t0) / 1000;
const f0 = (x: number) => x.toFixed(0);
const header =
  '| backend | rank | model | V | nodes | mode | forward µs | transfer | ranking | drafter | verify | update | rest | host total µs | host share |';
const lines = rows.map((r) => {
  const lead = `| ${r.backend} | ${r.rank} | ${r.model} | ${r.vocab || '?'} | ${r.nodes} | ${r.mode === 't1' ? 'T=1' : 'greedy'} |`;
  if (!r.us) return `${lead} refused: ${r.refused} |||||||||`;
  const u = r.us;
  const host = u.transfer + u.rank + u.drafter + u.verify + u.update + u.rest;
  return `${lead} ${f0(u.forward)} | ${f0(u.transfer)} | ${f0(u.rank)} | ${f0(u.drafter)} | ${f0(u.verify)} | ${f0(u.update)} | ${f0(u.rest)} | ${f0(host)} | ${((100 * host) / (host + u.forward)).toFixed(0)} % |`;
});
const command = `npx tsx packages/runner/bench/host-cost.ts ${process.argv.slice(2).join(' ')}`.trim();
const versions = [...new Set(rows.filter((r) => r.version).map((r) => `${r.backend}: ${r.version}`))].join('; ');
const modelsLine = models
  ? `Models: ${models.map((m) => `\`${m}\``).join(', ')}.`
  : `Models: f32 twins of stories260K with shape \`${shape}\` and the vocabulary V (\`${modelSpec(32000)}\` etc.; V = 512 is the
plain twin): a small forward, so that the vocabulary-bound host work stands out; on a real 7B model the
forward is far larger and the host columns are about the same.`;
const md = `# Host cost per decode step

What a decode step spends outside the engine's forward, in µs per step (mean over the steps of two story
prompts × ${tokens} new tokens, after a warm-up request), beside the forward itself. ${modelsLine} Drafters: AR (1 node), Token Recycling
\`greedy:7:4\` (8 nodes), the paper's \`2.2.2\` tree (81 nodes). T=1: temperature 1, top-k ${samplingTopK}${samplingTopK === 0 ? ' (whole vocabulary)' : ''}, top-p 1.

- **forward**: the engine's forward (llama.cpp: \`llama_decode\`, whose CPU build also copies the logits
  rows to the host inside it; ONNX Runtime: \`session.run\`, which writes its outputs to the host inside it).
- **transfer**: reading the outputs out of the engine after the forward (llama.cpp host path: getting the
  logits buffer, which waits for an asynchronous copy on a GPU; engine path: reading the k candidates).
- **ranking**: turning them into each node's top-k (host path: \`rankLogitsRows\` over every node's full
  row; engine path: re-sorting the k candidates per node by the tie rule).
- **drafter**, **verify**, **update**: the decode loop's own step phases (verify at T=1 builds the
  distribution of each node it visits); **rest**: KV commit and the loop's bookkeeping.

${environment.cpu} (${environment.cores} cores), ${threads} thread(s), ${device ?? 'cpu'}; ${versions}; Node ${environment.node};
commit ${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (dirty)' : ''}; ${seconds.toFixed(0)} s.

\`${command}\`

${header}
|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${lines.join('\n')}
`;
console.log(md);
if (out) {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, md);
  writeFileSync(
    out.replace(/\.md$/, '.json'),
    `${JSON.stringify({ command, shape, tokens, threads, device, samplingTopK, environment, rows }, null, 1)}\n`,
  );
  console.error(`host-cost: wrote ${out}`);
}
