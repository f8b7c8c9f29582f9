import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseModelSpec, resolveModel, writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { parseTemplate } from '@trbench/token-recycling';
import type { Command } from 'commander';
import { captureEnvironment } from '../env/environment.ts';
import { checkTreeAgainstLinear, type TreeCheckResult, textTokenIds } from '../models/backend-check.ts';
import { numberOption, positiveInt, runCommand } from './cli-helpers.ts';

const PROMPT = 'Once upon a time, there was a little dog named Max. He liked to run';

/**
 * Default tolerance on |tree − linear| / max(1, |logit|). F32 weights on the CPU build with an f32 KV cache agree to
 * ~1e-5 (the 81 rows and a path's few take the same kernels up to summation order). F16/quantised weights
 * round activations to their type in kernels that differ between 81 rows and a few (measured 2.8e-3 on an
 * F16 twin on the CPU), and a GPU build adds an f16 KV cache and flash attention: there only a coarser
 * bound and equal greedy tokens are meaningful.
 */
function defaultTolerance(spec: string, device: string, kvCache: string | undefined): number {
  return device === 'cpu' && kvCache !== 'f16' && weightsAreF32(spec) ? 1e-4 : 1e-2;
}

function weightsAreF32(spec: string): boolean {
  if (spec === 'stories260K') return true;
  try {
    const parsed = parseModelSpec(spec);
    if (parsed?.kind === 'twin') return parsed.type === 'f32';
    if (parsed?.kind === 'derived') return parsed.type === null || parsed.type === 'f32';
  } catch {
    // not a spec trbench builds
  }
  return false;
}

/** `trbench check-backend`: tree attention on the llama.cpp backend, every node against its path evaluated linearly. */
export function registerCheckBackendCommand(program: Command): void {
  program
    .command('check-backend')
    .description("check llama.cpp's tree attention on a device: every node of an 81-node tree (2.2.2) against its path evaluated linearly")
    .option('--device <name>', 'cuda or cpu', 'cpu')
    .option('--model <spec...>', 'models to check (stories260K, twin:<shape>[:<type>], a .gguf path)', ['stories260K'])
    .option('--tree <spec>', 'tree template', '2.2.2')
    .option('--kv-cache <type>', "KV cache type f32 or f16 (default: the backend's, f32 on cpu, f16 on cuda)")
    .option(
      '--tolerance <x>',
      'largest |tree − linear| logit difference that passes (default 1e-4 for F32 weights on cpu with an f32 KV cache, else 1e-2)',
    )
    .option('--threads <n>', 'CPU threads', '1')
    .option('--out <file>', 'also write the results as JSON')
    .action(
      (opts: { device: string; model: string[]; tree: string; kvCache?: string; tolerance?: string; threads: string; out?: string }) =>
        runCommand(async () => {
          if (opts.device !== 'cuda' && opts.device !== 'cpu')
            throw new TrbenchError(`--device must be cuda or cpu (got ${JSON.stringify(opts.device)})`);
          if (opts.kvCache !== undefined && opts.kvCache !== 'f32' && opts.kvCache !== 'f16')
            throw new TrbenchError(`--kv-cache must be f32 or f16 (got ${JSON.stringify(opts.kvCache)})`);
          const given = opts.tolerance === undefined ? null : numberOption('--tolerance', opts.tolerance);
          const threads = positiveInt('--threads', opts.threads);
          const template = parseTemplate(opts.tree, 8);
          const { LlamaCppModel } = await import('@trbench/backend-llama-cpp');
          const results: TreeCheckResult[] = [];
          const write = () => {
            if (!opts.out) return;
            mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
            const doc = { device: opts.device, tree: template.name, environment: captureEnvironment(), results };
            writeFileAtomic(opts.out, `${JSON.stringify(doc, null, 1)}\n`);
          };
          for (const spec of opts.model) {
            const resolved = await resolveModel(spec);
            const model = await LlamaCppModel.open({
              path: resolved.path,
              name: resolved.name,
              sha256: resolved.sha256,
              extraStopTokens: resolved.extraStopTokens,
              maxDraftNodes: template.nodes,
              topK: 8,
              threads,
              contextSize: 256,
              gpu: opts.device === 'cpu' ? false : 'cuda',
              kvCacheType: opts.kvCache as 'f32' | 'f16' | undefined,
            });
            try {
              const tolerance = given ?? defaultTolerance(spec, opts.device, opts.kvCache);
              const r = checkTreeAgainstLinear(model, template, {
                prompt: PROMPT,
                tolerance,
                nodeTokens: textTokenIds(resolved.path),
                name: resolved.name,
                sha256: resolved.sha256,
              });
              results.push(r);
              write(); // each result as soon as it exists
              process.stdout.write(
                `${r.passed ? 'PASS' : 'FAIL'} ${r.model} (vocab ${r.vocabSize}) on ${r.device}: ${r.nodes}-node tree ${r.tree}, ${r.paths} paths, ` +
                  `max |tree − linear| = ${r.maxAbsDiff.toExponential(2)}, scaled by max(1, |logit|) ${r.maxScaledDiff.toExponential(2)} (tolerance ${tolerance}), ${r.argmaxMismatches.length} greedy-token mismatches, ` +
                  `${r.nearTies} near-ties, ${r.seconds.toFixed(1)} s\n`,
              );
            } finally {
              model.dispose();
            }
          }
          if (results.some((r) => !r.passed)) process.exitCode = 1;
        }),
    );
}
