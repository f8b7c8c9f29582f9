import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadStorySuite, resolveModel, writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import {
  type AbiLayout,
  BUILD_STAMP_FILE,
  LIBRARY_DIR_ENV,
  type LibraryBuildStamp,
  layoutDifferences,
  loadLlamaLibrary,
} from '@trbench/libllama';
import { Command } from 'commander';
import { runCostCurve } from './cost-curve-step.ts';
import { writeKitReport } from './kit-report.ts';
import { kitModels } from './models.ts';
import { jsonlFieldsOf, type KitDataset, planSweep } from './sweep-plan.ts';

function fail(message: string): never {
  throw new TrbenchError(message);
}

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) fail(`${what} ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    fail(`${what} ${file} is not valid JSON (${(err as Error).message})`);
  }
}

function ints(flag: string, raw: string): number[] {
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1))
    fail(`${flag} expects positive integers separated by commas (got ${JSON.stringify(raw)})`);
  return values;
}

function positive(flag: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) fail(`${flag} expects a positive number (got ${JSON.stringify(raw)})`);
  return v;
}

function device(raw: string): 'cuda' | 'cpu' {
  if (raw !== 'cuda' && raw !== 'cpu') fail(`--device must be cuda or cpu (got ${JSON.stringify(raw)})`);
  return raw;
}

/** The kit sweep's dataset from `--dataset` and how many questions it holds. */
function kitDataset(raw: string): { dataset: KitDataset; available: number } {
  if (raw === 'stories') return { dataset: { kind: 'stories' }, available: loadStorySuite().length };
  if (raw === 'spec_bench' || raw === 'spec-bench') return { dataset: { kind: 'spec-bench' }, available: 480 };
  const file = path.resolve(raw);
  if (!raw.endsWith('.jsonl') || !existsSync(file))
    fail(`--dataset ${JSON.stringify(raw)}: expected stories, spec_bench or an existing .jsonl file`);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  let first: unknown;
  try {
    first = JSON.parse(lines[0] ?? '');
  } catch {
    fail(`--dataset ${file}: its first line is not a JSON object`);
  }
  const fields = first !== null && typeof first === 'object' ? jsonlFieldsOf(first as Record<string, unknown>) : null;
  if (!fields)
    fail(
      `--dataset ${file}: expected Spec-Bench / MT-bench lines ({"question_id", "category", "turns": [...]}) or {"prompt": "..."} per line`,
    );
  return { dataset: { kind: 'jsonl', path: file, fields }, available: lines.length };
}

/**
 * `trbench kit <step>`: the steps of kit/run.sh that need trbench's code (the shell script does the rest:
 * prerequisites, unpacking, building libllama, the time budget). Each writes its result as soon as it has it.
 */
export async function runKitCli(argv: string[]): Promise<void> {
  const program = new Command('trbench kit').description("the offline kit's steps (called by kit/run.sh)").exitOverride();

  program
    .command('models')
    .description('the models this run uses (JSON)')
    .option('--cpu', 'the CPU self-test')
    .action((o: { cpu?: boolean }) => {
      process.stdout.write(`${JSON.stringify(kitModels(Boolean(o.cpu)))}\n`);
    });

  program
    .command('stamp-library')
    .description(`record a libllama build's release and struct layout (${BUILD_STAMP_FILE}); refuse a layout other than the pinned one`)
    .requiredOption('--lib-dir <dir>', 'folder with libllama.so')
    .requiredOption('--source <file>', "the kit's llama.cpp/source.json")
    .requiredOption('--layout <file>', 'output of the ABI table program built against the same headers')
    .requiredOption('--variant <v>', 'cpu or cuda')
    .option('--cuda-arch <a>', 'CMAKE_CUDA_ARCHITECTURES')
    .action((o: { libDir: string; source: string; layout: string; variant: string; cudaArch?: string }) => {
      const source = readJson<{ nodeLlamaCpp: string; llamaCppRelease: string; commit: string }>(o.source, 'source description');
      const layout = readJson<AbiLayout>(o.layout, 'ABI table');
      const diffs = layoutDifferences(layout);
      if (diffs.length > 0) fail(`the llama.cpp headers built here differ from trbench's pinned ABI table: ${diffs.join('; ')}`);
      if (!existsSync(path.join(o.libDir, 'libllama.so'))) fail(`${o.libDir} holds no libllama.so`);
      const stamp: LibraryBuildStamp = {
        nodeLlamaCpp: source.nodeLlamaCpp,
        llamaCppRelease: source.llamaCppRelease,
        commit: source.commit,
        variant: o.variant === 'cuda' ? 'cuda' : 'cpu',
        ...(o.cudaArch ? { cudaArchitectures: o.cudaArch } : {}),
        layout,
      };
      writeFileAtomic(path.join(o.libDir, BUILD_STAMP_FILE), `${JSON.stringify(stamp, null, 1)}\n`);
      process.stdout.write(
        `libllama ${source.llamaCppRelease} (${source.commit.slice(0, 10)}): struct layout equals the pinned ABI table\n`,
      );
    });

  program
    .command('verify-library')
    .description(`load the libllama in ${LIBRARY_DIR_ENV} the way the backend does and list its devices`)
    .requiredOption('--device <d>', 'cuda or cpu')
    .action(async (o: { device: string }) => {
      const lib = await loadLlamaLibrary(device(o.device) === 'cuda' ? 'cuda' : false);
      process.stdout.write(`${lib.versionString}; devices: ${lib.devices.join(', ')}\n`);
    });

  program
    .command('prepare-models')
    .description('convert stories260K and generate the twins into the cache')
    .argument('<spec...>')
    .action(async (specs: string[]) => {
      for (const spec of specs) {
        const t0 = Date.now();
        const m = await resolveModel(spec);
        process.stdout.write(`${spec}: ${m.path} (sha256 ${m.sha256.slice(0, 12)}…, ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      }
    });

  program
    .command('cost-curve')
    .requiredOption('--model <spec>')
    .requiredOption('--device <d>')
    .requiredOption('--out <dir>')
    .option('--threads <n>', 'CPU threads', '1')
    .option('--sizes <list>', 'draft sizes', '1,2,4,8,16,32,48,64,81,96,128')
    .option('--repeats <n>', 'median of', '7')
    .option('--context <n>', 'committed context', '256')
    .action(async (o: { model: string; device: string; out: string; threads: string; sizes: string; repeats: string; context: string }) => {
      await runCostCurve({
        spec: o.model,
        device: device(o.device),
        out: o.out,
        threads: positive('--threads', o.threads),
        sizes: ints('--sizes', o.sizes),
        repeats: positive('--repeats', o.repeats),
        context: positive('--context', o.context),
      });
    });

  program
    .command('plan-sweep')
    .description('write a sweep config sized to the seconds left')
    .requiredOption('--budget-s <s>')
    .requiredOption('--model <spec>')
    .requiredOption('--device <d>')
    .requiredOption('--out <file>')
    .option('--cost-curve <file>', "the cost curve's cost-curve.json (t(1)); without it t(1) = --t1-ms")
    .option('--t1-ms <ms>', 't(1) when there is no cost curve', '30')
    .option('--threads <n>', 'CPU threads', '1')
    .option('--max-new-tokens <n>', 'tokens per question', '128')
    .option('--max-questions <n>', 'questions in the config (a later call resumes what this one does not finish)', '16')
    .option('--dataset <d>', 'stories, spec_bench, or a JSONL file (Spec-Bench lines or one "prompt" per line)', 'stories')
    .option('--user-model', "the target is the user's model (no SpS row: no carried draft shares its tokenizer)")
    .option('--template <t>', "the target's prompt template (raw, vicuna, chatml; default: the model's own)")
    .action(
      (o: {
        budgetS: string;
        model: string;
        device: string;
        out: string;
        costCurve?: string;
        t1Ms: string;
        threads: string;
        maxNewTokens: string;
        maxQuestions: string;
        dataset: string;
        userModel?: boolean;
        template?: string;
      }) => {
        const { dataset, available } = kitDataset(o.dataset);
        const t1Ms = positive('--t1-ms', o.t1Ms);
        // Without a measured curve (the step failed or was skipped): a guess that grows with the draft.
        let curve = { sizes: [1, 128], ms: [t1Ms, 4 * t1Ms] };
        if (o.costCurve && existsSync(o.costCurve)) {
          const doc = readJson<{ results: { sizes: number[]; ms: number[] }[] }>(o.costCurve, 'cost curve');
          if (doc.results[0]) curve = doc.results[0];
        }
        const plan = planSweep({
          budgetSeconds: Number(o.budgetS),
          curve,
          model: o.model,
          device: device(o.device),
          threads: positive('--threads', o.threads),
          maxQuestions: Math.min(available, positive('--max-questions', o.maxQuestions)),
          maxNewTokens: positive('--max-new-tokens', o.maxNewTokens),
          dataset,
          userModel: Boolean(o.userModel),
          ...(o.template ? { template: o.template } : {}),
        });
        mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
        writeFileAtomic(o.out, `${JSON.stringify(plan.config, null, 1)}\n`);
        writeFileAtomic(
          `${o.out.replace(/\.json$/, '')}.plan.json`,
          `${JSON.stringify({ ...plan, budgetSeconds: Number(o.budgetS) }, null, 1)}\n`,
        );
        process.stdout.write(
          `sweep: ${plan.questions} question(s), estimated ${plan.estimateSeconds.toFixed(0)} s of ${o.budgetS} s (${plan.basis})\n`,
        );
      },
    );

  program
    .command('report')
    .description("write the run's report.md and summary.json from what the steps left in --out")
    .requiredOption('--out <dir>')
    .action((o: { out: string }) => {
      const file = writeKitReport(o.out);
      process.stdout.write(`report: ${file}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof TrbenchError) {
      process.stderr.write(`trbench kit: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const code = (err as { exitCode?: number }).exitCode;
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
    throw err;
  }
}
