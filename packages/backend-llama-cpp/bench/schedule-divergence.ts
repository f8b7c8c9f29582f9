// Which evaluation-schedule difference makes trbench's plain decoding of an F16 model differ from
// node-llama-cpp's own greedy generation (issue 24)? Greedy tokens of a few prompts under several
// schedules, each in its own process (node-llama-cpp's addon and trbench's koffi binding each load libllama):
//
//   trbench:split:f32   trbench's plain decoding (prompt[0..n-2] prefilled, the last prompt token evaluated
//                       as the first root; KV cache f32, trbench's CPU default)
//   trbench:whole:f32   the whole prompt prefilled, the first new token read from the prefill's last row
//   trbench:split:f16 / trbench:whole:f16   the same with an F16 KV cache (llama.cpp's and node-llama-cpp's default)
//   nlc:whole:f16       node-llama-cpp's own greedy generation (`sequence.evaluate`, temperature 0, its defaults)
//   nlc:split:f16       node-llama-cpp, the prompt but its last token evaluated first, then the rest
//   nlc:whole:f32       node-llama-cpp with an F32 KV cache (experimentalKvCacheKey/ValueType)
//
// Usage: npx tsx packages/backend-llama-cpp/bench/schedule-divergence.ts [--model spec] [--tokens 40] [--threads 2]
//        [--prompts file.jsonl] [--only schedule]   (TRBENCH_MIRROR for stories260K)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveModel } from '@trbench/assets';
import { Draft, Predictions } from '@trbench/core';
import { LlamaCppModel } from '../src/index.ts';

const SCHEDULES = [
  'trbench:split:f32',
  'trbench:whole:f32',
  'trbench:split:f16',
  'trbench:whole:f16',
  'nlc:whole:f16',
  'nlc:split:f16',
  'nlc:whole:f32',
] as const;
type Schedule = (typeof SCHEDULES)[number];

const DEFAULT_PROMPTS = [
  'The teacher told the class that',
  'Once upon a time, there was a little girl named Lily.',
  'Tom and his dad went to the lake to',
  'The little bird could not fly because',
];

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'twin:d2048-l8-h32-kv16-f5632' },
    tokens: { type: 'string', default: '40' },
    threads: { type: 'string', default: '2' },
    prompts: { type: 'string' },
    only: { type: 'string' },
    'logits-out': { type: 'string' },
  },
});
const maxNew = Number(values.tokens);
const threads = Number(values.threads);
const prompts = values.prompts
  ? readFileSync(values.prompts, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { prompt: string }).prompt)
  : DEFAULT_PROMPTS;

/** trbench schedules: the argmax's logit at each new token (how far schedules move the numbers). */
const topLogits: number[][] = [];

async function runTrbench(path: string, split: boolean, kv: 'f32' | 'f16'): Promise<number[][]> {
  const model = await LlamaCppModel.open({ path, name: 'm', sha256: '', maxDraftNodes: 1, topK: 1, threads, kvCacheType: kv });
  const draft = new Draft(1);
  const out = new Predictions(Math.max(64, maxNew), 1);
  const rootOnly = Int32Array.of(0);
  const result: number[][] = [];
  for (const text of prompts) {
    const prompt = model.tokenize(text, true);
    model.reset();
    const tokens: number[] = [];
    const logits: number[] = [];
    topLogits.push(logits);
    let root: number;
    if (split) {
      if (prompt.length > 1) model.prefill(prompt.subarray(0, prompt.length - 1));
      root = prompt[prompt.length - 1];
    } else {
      const rows = new Predictions(prompt.length, 1);
      model.prefill(prompt, rows);
      root = rows.argmax[prompt.length - 1];
      tokens.push(root);
      logits.push(rows.topLogits[prompt.length - 1]);
    }
    while (tokens.length < maxNew) {
      draft.reset(root);
      model.evaluate(draft, out);
      model.commit(rootOnly, 1);
      root = out.argmax[0];
      tokens.push(root);
      logits.push(out.topLogits[0]);
    }
    result.push(tokens);
  }
  model.dispose();
  return result;
}

async function runNodeLlamaCpp(path: string, split: boolean, kv: 'f32' | 'f16'): Promise<number[][]> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: path });
  const kvType = kv === 'f32' ? 'F32' : 'F16';
  const context = await model.createContext({
    contextSize: 512,
    threads,
    flashAttention: false,
    experimentalKvCacheKeyType: kvType,
    experimentalKvCacheValueType: kvType,
  });
  const result: number[][] = [];
  for (const text of prompts) {
    const sequence = context.getSequence();
    // node-llama-cpp's tokenize adds no BOS (its second argument is about special tokens); trbench's prompt has it.
    const bos = model.tokens.bos;
    const prompt = [...(bos === null ? [] : [bos]), ...model.tokenize(text)] as number[];
    const tokens: number[] = [];
    let input = prompt;
    if (split && prompt.length > 1) {
      await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1) as never);
      input = prompt.slice(-1);
    }
    for await (const token of sequence.evaluate(input as never, { temperature: 0 })) {
      tokens.push(token as number);
      if (tokens.length >= maxNew) break;
    }
    result.push(tokens);
    sequence.dispose();
  }
  await context.dispose();
  await model.dispose();
  return result;
}

function firstDifference(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const path = (await resolveModel(values.model)).path;
if (values.only) {
  const [engine, how, kv] = values.only.split(':');
  const tokens =
    engine === 'trbench'
      ? await runTrbench(path, how === 'split', kv as 'f32' | 'f16')
      : await runNodeLlamaCpp(path, how === 'split', kv as 'f32' | 'f16');
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
  if (values['logits-out'] && engine === 'trbench') writeFileSync(values['logits-out'], JSON.stringify(topLogits));
} else {
  const self = fileURLToPath(import.meta.url);
  const logitsFile = (schedule: string) => `${tmpdir()}/schedule-divergence-${process.pid}-${schedule.replaceAll(':', '-')}.json`;
  const run = (schedule: string, model: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--import', 'tsx', self, '--model', model, '--tokens', String(maxNew), '--threads', String(threads), '--only', schedule]
          .concat(values.prompts ? ['--prompts', values.prompts] : [])
          .concat(model === values.model ? ['--logits-out', logitsFile(schedule)] : []),
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    ) as number[][];
  const reference = run('trbench:split:f32', 'stories260K');
  const cell = (d: number) => (d < 0 ? '=' : String(d));
  const tokens = new Map<Schedule, number[][]>();
  for (const s of SCHEDULES) {
    const t = run(s, values.model);
    tokens.set(s, t);
    // As it goes (a slow machine): first differing new token vs stories260K per prompt.
    process.stderr.write(`${s}: ${t.map((x, i) => cell(firstDifference(x, reference[i]))).join(' ')}\n`);
  }
  console.log(`${values.model}, ${threads} threads, ${maxNew} new tokens; first differing new token (= identical)\n`);
  console.log(
    `| schedule | ${prompts.map((_, i) => `p${i + 1} vs stories260K`).join(' | ')} | ${prompts.map((_, i) => `p${i + 1} vs trbench:split:f32`).join(' | ')} |`,
  );
  console.log(`|---|${prompts.map(() => '---:').join('|')}|${prompts.map(() => '---:').join('|')}|`);
  const base = tokens.get('trbench:split:f32')!;
  for (const [s, t] of tokens) {
    const vsRef = t.map((x, i) => cell(firstDifference(x, reference[i])));
    const vsBase = t.map((x, i) => cell(firstDifference(x, base[i])));
    console.log(`| ${s} | ${vsRef.join(' | ')} | ${vsBase.join(' | ')} |`);
  }
  // How far each trbench schedule moves the argmax logit from trbench's plain decoding, over the new
  // tokens before the first differing one (0 = bit-identical numbers).
  const baseLogits = JSON.parse(readFileSync(logitsFile('trbench:split:f32'), 'utf8')) as number[][];
  console.log('\n| schedule | max abs difference of the argmax logit vs trbench:split:f32 (common tokens) |\n|---|---:|');
  for (const s of SCHEDULES) {
    if (!existsSync(logitsFile(s))) continue;
    const mine = JSON.parse(readFileSync(logitsFile(s), 'utf8')) as number[][];
    let worst = 0;
    mine.forEach((row, i) => {
      const d = firstDifference(tokens.get(s)![i], base[i]);
      const n = d < 0 ? row.length : d;
      for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(row[j] - baseLogits[i][j]));
    });
    console.log(`| ${s} | ${worst.toExponential(2)} |`);
  }
  prompts.forEach((p, i) => console.log(`p${i + 1}: ${JSON.stringify(p)}`));
}
