import { readJsonl, writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import {
  CALIBRATION_PROMPTS_PATH,
  describeTuned,
  ensureTunedTemplate,
  formatGain,
  loadCalibrationPrompts,
  parseTuneBudget,
} from '@trbench/token-recycling';
import type { Command } from 'commander';
import { tuneProgress } from '../methods/phase-progress.ts';
import { openModel, parseBackend, parseRank } from '../models/open-model.ts';
import { positiveInt, runCommand } from './cli-helpers.ts';

function calibrationPrompts(spec: string | undefined): { prompts: string[]; source: string } {
  if (!spec || spec === 'stories-calibration') return { prompts: loadCalibrationPrompts(), source: CALIBRATION_PROMPTS_PATH };
  const rows = readJsonl(spec) as Array<Record<string, unknown>>;
  const prompts = rows.map((row, i) => {
    const text =
      typeof row.prompt === 'string' ? row.prompt : Array.isArray(row.turns) && typeof row.turns[0] === 'string' ? row.turns[0] : null;
    if (text === null) throw new TrbenchError(`${spec}:${i + 1}: expected a "prompt" string or a "turns" list`);
    return text;
  });
  if (prompts.length === 0) throw new TrbenchError(`${spec}: no prompts`);
  return { prompts, source: spec };
}

/** `trbench tune`: picks the TR tree with the best tokens/s for this model, backend and machine. */
export function registerTuneCommand(program: Command): void {
  program
    .command('tune')
    .description('tune the Token Recycling tree for this model, backend and machine (what --template auto uses)')
    .option('--model <spec>', 'stories260K[:...], twin:<shape>[:<type>], a .gguf path, or hf:<owner>/<repo>/<file>.gguf', 'stories260K')
    .option('--backend <name>', 'llama.cpp or onnx', 'llama.cpp')
    .option('--device <name>', 'llama.cpp: auto|cuda|vulkan|cpu; onnx: cpu|webgpu|cuda')
    .option('--threads <n>', 'CPU threads of the backend', '1')
    .option('--rank <path>', 'where node top-k is computed: host | engine | auto (engine on a GPU, host on CPU)', 'auto')
    .option('--dataset <file>', 'calibration prompts: stories-calibration (default) or a JSONL file with "prompt" or "turns"')
    .option('--k <n>', 'candidates per token', '8')
    .option('--max-nodes <n>', 'largest draft considered, root included', '128')
    .option('--max-new-tokens <n>', 'tokens generated per calibration prompt (default: sized by the budget, at most 128)')
    .option('--prompts <n>', 'use the first n calibration prompts (default: sized by the budget)')
    .option(
      '--budget <duration>',
      'time budget of the tuning run on this machine, e.g. 60s or 5m (default 60s without --prompts/--max-new-tokens)',
    )
    .option('--force', 'tune again even when a cached result exists')
    .option('--out <file>', 'also write the tuned template JSON here (usable with --template)')
    .action((opts: Record<string, string | boolean | undefined>, cmd: Command) =>
      runCommand(async (signal) => {
        const k = positiveInt('--k', opts.k as string);
        const maxNodes = positiveInt('--max-nodes', opts.maxNodes as string);
        const maxNewTokens = opts.maxNewTokens === undefined ? undefined : positiveInt('--max-new-tokens', opts.maxNewTokens as string);
        const promptCount = opts.prompts === undefined ? undefined : positiveInt('--prompts', opts.prompts as string);
        const budgetSeconds = opts.budget === undefined ? undefined : parseTuneBudget(String(opts.budget), '--budget');
        const { prompts, source } = calibrationPrompts(opts.dataset as string | undefined);
        const { model } = await openModel({
          model: String(opts.model),
          backend: parseBackend(String(opts.backend)),
          threads: positiveInt('--threads', opts.threads as string),
          device: opts.device as string | undefined,
          maxDraftNodes: maxNodes,
          topK: k,
          signal,
          rank: parseRank(String(opts.rank)),
        });
        try {
          const { file, result, fromCache } = await ensureTunedTemplate(model, {
            k,
            maxNodes,
            maxNodesFixed: cmd.getOptionValueSource('maxNodes') === 'cli',
            maxNewTokens,
            promptCount,
            budgetSeconds,
            prompts,
            signal,
            progress: tuneProgress(''),
            force: Boolean(opts.force),
            log: (line) => process.stderr.write(`${line}\n`),
            onCalibrate: (n) => process.stderr.write(`calibrating on ${n} prompts from ${source}…\n`),
          });
          if (opts.out) writeFileAtomic(String(opts.out), `${JSON.stringify(result, null, 1)}\n`);
          const best = [...result.budgets].sort((a, b) => b.predictedTokensPerSecond - a.predictedTokensPerSecond).slice(0, 5);
          process.stdout.write(
            `${describeTuned(result, file, fromCache)}\n` +
              `candidates measured against plain decoding: ${result.candidates.map((c) => `n=${c.nodes} ${formatGain(c.gain)}`).join(', ')}\n` +
              `best budgets by prediction: ${best.map((b) => `n=${b.nodes} ${b.predictedTokensPerSecond.toFixed(0)} tok/s`).join(', ')}\n` +
              `template: ${file}${opts.out ? ` and ${opts.out}` : ''}\n`,
          );
        } finally {
          model.dispose();
        }
      }),
    );
}
