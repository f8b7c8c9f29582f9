import { fromUserFolder } from '@trbench/assets';
import { TrbenchError, validateSampling } from '@trbench/core';
import { type Command, Option } from 'commander';
import { type GenerateReport, renderGenerateText, runGenerate, wantsColor } from '../generation/generate.ts';
import { formatDelta } from '../generation/lossless.ts';
import { DEFAULT_TRACE_TOPK, StepTraceWriter } from '../generation/step-trace.ts';
import { allMethodFlags, getMethod, methodNames, parseFlagValue, parseMethodParams } from '../methods/index.ts';
import { openModel, parseBackend, parseRank } from '../models/open-model.ts';
import { numberOption, positiveInt, runCommand } from './cli-helpers.ts';

function divergenceText(report: GenerateReport): string {
  const d = report.divergence;
  if (!d) return `NO (first divergence at ${report.firstDivergence})`;
  const logit = (x: number | null) => (x === null ? '?' : x.toFixed(4));
  const side = (s: typeof d.plain) =>
    s ? `${s.id} (logit ${logit(s.logit)}, runner-up ${s.runnerUp ? `${s.runnerUp.id} ${logit(s.runnerUp.logit)}` : '?'})` : '?';
  const what = d.kind === 'numeric' ? `numeric tie flip, ${formatDelta(d.delta)}` : 'NO: logic';
  return `${what} (first divergence at ${d.position}: plain ${side(d.plain)}, method ${side(d.method)}; ${d.reason})`;
}

/** `trbench generate`: one prompt, one method. */
export function registerGenerateCommand(program: Command): void {
  const generate = program
    .command('generate')
    .description('generate a continuation of one prompt with one method')
    .requiredOption('--prompt <text>', 'prompt text ("" = start from BOS)')
    .option('--model <spec>', 'stories260K[:...], twin:<shape>[:<type>], a .gguf path, or hf:<owner>/<repo>/<file>.gguf', 'stories260K')
    .option('--method <name>', `decoding method: ${methodNames().join(', ')}`, 'ar')
    .option('--backend <name>', 'llama.cpp or onnx', 'llama.cpp')
    .option('--device <name>', 'llama.cpp: auto|cuda|vulkan|cpu; onnx: cpu|webgpu|cuda')
    .option('--max-new-tokens <n>', 'tokens to generate', '128')
    .option('--threads <n>', 'CPU threads of the backend', '1')
    .option('--rank <path>', 'where node top-k is computed: host | engine | auto (engine on a GPU, host on CPU)', 'auto')
    .option('--context-size <n>', "context length (default: the model's)")
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '0')
    .option('--top-k <n>', 'sampling: keep the k most likely tokens (0 = off)', '0')
    .option('--top-p <p>', 'sampling: nucleus probability (1 = off)', '1')
    .option('--seed <n>', 'sampling: PRNG seed', '0')
    .option(
      '--check-lossless',
      'also run plain decoding and report whether the tokens are identical; a divergence is diagnosed as numeric (a floating-point tie flip) or logic (a bug, exit 3)',
    )
    .option('--strict-numerics', 'with --check-lossless: a numeric divergence fails too (exit 3)')
    .option('--json', 'print one JSON object instead of text')
    .option(
      '--trace <file>',
      "write every step of the method's run to FILE, one JSON line each: fed tokens (tree order) and parents, the accepted path, the bonus token, the target's top-k ids at every fed position, the draft source",
    )
    .option('--trace-topk <k>', 'with --trace: top-k ids written per fed position', String(DEFAULT_TRACE_TOPK));
  for (const flag of allMethodFlags()) generate.addOption(new Option(flag.flags, flag.description));

  generate.action((opts: Record<string, unknown>) =>
    runCommand(async (signal) => {
      const method = getMethod(String(opts.method));
      const maxNewTokens = positiveInt('--max-new-tokens', opts.maxNewTokens as string);
      const threads = positiveInt('--threads', opts.threads as string);
      const contextSize = opts.contextSize === undefined ? undefined : positiveInt('--context-size', opts.contextSize as string);
      const backend = parseBackend(String(opts.backend));
      const rank = parseRank(String(opts.rank));
      const own = new Set(method.flags.map((f) => f.flags));
      const raw: Record<string, unknown> = {};
      for (const flag of allMethodFlags()) {
        const key = new Option(flag.flags, '').attributeName();
        if (generate.getOptionValueSource(key) !== 'cli') continue;
        const long = flag.flags.split(/[ ,]/)[0];
        if (!own.has(flag.flags)) throw new TrbenchError(`${long} does not apply to method ${method.name}`);
        const value = opts[key];
        raw[flag.param] = (flag.parse ?? parseFlagValue)(String(value));
      }
      const params = parseMethodParams(method, raw, 'command line');
      const sampling = validateSampling({
        temperature: numberOption('--temperature', opts.temperature as string),
        topK: numberOption('--top-k', opts.topK as string),
        topP: numberOption('--top-p', opts.topP as string),
        seed: numberOption('--seed', opts.seed as string),
      });
      const needs = method.requirements(params);
      const traceTopK = positiveInt('--trace-topk', opts.traceTopk as string);
      if (opts.trace === undefined && generate.getOptionValueSource('traceTopk') === 'cli')
        throw new TrbenchError('--trace-topk needs --trace FILE');
      const trace = opts.trace === undefined ? undefined : new StepTraceWriter(fromUserFolder(String(opts.trace)), traceTopK);
      const { model, resolved } = await openModel({
        model: String(opts.model),
        backend,
        threads,
        device: opts.device as string | undefined,
        maxDraftNodes: needs.maxDraftNodes,
        // A lossless check diagnoses a divergence from the target's top-2 at each committed token.
        // --trace writes the target's top-k at every fed position (the model ranks that many; tokens are unchanged).
        topK: Math.max(opts.checkLossless ? 2 : 1, trace ? traceTopK : 1, needs.topK),
        contextSize,
        exposeLogits: sampling.temperature > 0,
        signal,
        samplingTopK: sampling.topK,
        rank,
      });
      let drafter: Awaited<ReturnType<typeof method.create>> | undefined;
      try {
        drafter = await method.create(params, {
          vocabSize: model.info.vocabSize,
          modelSha256: resolved.sha256,
          modelName: resolved.name,
          model,
          modelSpec: String(opts.model),
          sampled: sampling.temperature > 0,
          signal,
        });
        const report = await runGenerate({
          signal,
          model,
          drafter,
          prompt: String(opts.prompt),
          maxNewTokens,
          checkLossless: Boolean(opts.checkLossless),
          sampling,
          trace,
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
        } else {
          process.stdout.write(renderGenerateText(report.prompt, report.text, wantsColor(process.stdout)));
          const lossless =
            report.losslessIdentical === undefined ? '' : `, lossless ${report.losslessIdentical ? 'yes' : divergenceText(report)}`;
          process.stderr.write(
            `[${report.method}] ${report.promptTokens}-token prompt${wantsColor(process.stdout) ? ' (dimmed above)' : ''}, ${report.newTokens} new tokens in ${report.steps} steps, MAT ${report.meanAcceptedTokens.toFixed(3)}, ` +
              `${report.wallMs.toFixed(1)} ms (${((report.newTokens / report.wallMs) * 1000).toFixed(1)} tok/s)${lossless}\n`,
          );
        }
        if (report.losslessIdentical === false && (report.divergence?.kind !== 'numeric' || opts.strictNumerics)) process.exitCode = 3;
      } finally {
        drafter?.dispose?.();
        model.dispose();
      }
    }),
  );
}
