import { phaseProgress, writeFileAtomic } from '@trbench/assets';
import { type CorpusRecord, sampleCorpus } from '@trbench/baselines';
import { describeInterruption, TrbenchError } from '@trbench/core';
import type { Command } from 'commander';
import { withPhase } from '../methods/phase-progress.ts';
import { openModel } from '../models/open-model.ts';
import { positiveInt, runCommand } from './cli-helpers.ts';

/**
 * `trbench corpus`: samples texts from a model, for datastores when no corpus ships with the model (REST on
 * stories260K). Plain ancestral sampling through the decode loop (no draft, the core's sampling verifier:
 * softmax(logits / T), xoshiro128** PRNG). Sample i uses seed corpusSampleSeed(seed, i), so any sample can
 * be regenerated alone and the file is reproducible from the command line on the same device (GPU logits
 * may differ in the last bits, which can change a draw).
 */
export function registerCorpusCommand(program: Command): void {
  program
    .command('corpus')
    .description("sample a corpus (JSONL) from a model's own distribution, e.g. for a REST datastore")
    .requiredOption('--out <file>', 'output JSONL file, one sample per line: {id, index, seed, tokens, text, ...}')
    .option('--model <spec>', 'stories260K[:...], twin:<shape>[:<type>], a .gguf path, or hf:<owner>/<repo>/<file>.gguf', 'stories260K')
    .option('--samples <n>', 'number of samples', '1000')
    .option('--temperature <t>', 'sampling temperature (> 0)', '1')
    .option('--seed <n>', 'run seed (sample i uses corpusSampleSeed(seed, i))', '0')
    .option('--max-new-tokens <n>', 'most tokens per sample (a sample also ends at end-of-generation or a full context)', '256')
    .option('--prompt <text>', 'text each sample continues ("" = start from BOS)', '')
    .option('--device <name>', 'llama.cpp device: cpu (default, reproducible), auto, cuda or vulkan', 'cpu')
    .option('--threads <n>', 'CPU threads of the backend', '1')
    .action((opts: Record<string, string>) =>
      runCommand(async (signal) => {
        const samples = positiveInt('--samples', opts.samples);
        const maxNewTokens = positiveInt('--max-new-tokens', opts.maxNewTokens);
        const threads = positiveInt('--threads', opts.threads);
        const temperature = Number(opts.temperature);
        if (!(Number.isFinite(temperature) && temperature > 0))
          throw new TrbenchError(`--temperature must be a number > 0 (got ${JSON.stringify(opts.temperature)})`);
        if (!/^\d+$/.test(opts.seed) || Number(opts.seed) > 0xffffffff)
          throw new TrbenchError(`--seed must be an integer in [0, 2^32) (got ${JSON.stringify(opts.seed)})`);
        const seed = Number(opts.seed);
        const { model, resolved } = await openModel({
          model: opts.model,
          backend: 'llama.cpp',
          device: opts.device,
          threads,
          maxDraftNodes: 1,
          topK: 1,
          exposeLogits: true,
          signal,
        });
        try {
          const prompt = model.tokenize(opts.prompt, true);
          let total = 0;
          const progress = phaseProgress('sampling corpus', samples, { unit: 'samples', extra: () => `${total} tokens` });
          const drawn = await describeInterruption(
            'sampling the corpus',
            `nothing was written to ${opts.out} (the file appears only when every sample is drawn)`,
            () =>
              withPhase(progress, () =>
                sampleCorpus(model, { samples, seed, temperature, maxNewTokens, prompt, signal }, (i, tokens) => {
                  total += tokens.length;
                  progress.update(i + 1);
                }),
              ),
          );
          const lines = drawn.map(({ sampleSeed, tokens }, i) => {
            const record: CorpusRecord = {
              id: `sample-${String(i + 1).padStart(6, '0')}`,
              index: i,
              seed,
              sampleSeed,
              temperature,
              model: resolved.name,
              modelSha256: resolved.sha256,
              tokens: Array.from(tokens),
              text: model.detokenize(tokens.subarray(prompt.length)),
            };
            return JSON.stringify(record);
          });
          writeFileAtomic(opts.out, `${lines.join('\n')}\n`);
          process.stderr.write(`wrote ${samples} samples (${total} tokens) from ${resolved.name} to ${opts.out}\n`);
        } finally {
          model.dispose();
        }
      }),
    );
}
