import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import type { Command } from 'commander';
import { displayPath } from '../config/load.ts';
import { exportSpecBench } from '../spec-bench/spec-bench-export.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench export <runDir> --format spec-bench --out DIR`: Spec-Bench answer files from a run. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("write a run's answers as Spec-Bench answer files (one JSONL per method), for Spec-Bench's evaluation/speed.py")
    .argument('<runDir>', 'run folder (results/runs/<name>)')
    .requiredOption('--format <format>', 'spec-bench (the only format)')
    .requiredOption('--out <dir>', 'folder for the answer files and export.json')
    .option(
      '--model-file <id=file>',
      "the GGUF of a model whose spec does not resolve here (the answers' text needs its tokenizer); repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action((runDir: string, opts: { format: string; out: string; modelFile?: string[] }) =>
      runCommand(async () => {
        if (opts.format !== 'spec-bench') throw new TrbenchError(`--format ${JSON.stringify(opts.format)}: expected spec-bench`);
        const modelFiles: Record<string, string> = {};
        for (const pair of opts.modelFile ?? []) {
          const at = pair.indexOf('=');
          if (at <= 0) throw new TrbenchError(`--model-file ${JSON.stringify(pair)}: expected MODEL_ID=FILE.gguf`);
          modelFiles[pair.slice(0, at)] = pair.slice(at + 1);
        }
        const { index, files } = await exportSpecBench({ runDir, out: opts.out, modelFiles });
        for (const f of index.files)
          process.stdout.write(
            `${f.file}: ${f.questions} answers${f.skipped.length > 0 ? ` (${f.skipped.length} skipped questions left out)` : ''}\n`,
          );
        const example = index.files.find((f) => f.method !== 'ar');
        process.stdout.write(
          `wrote ${files.length - 1} answer files and export.json in ${displayPath(path.resolve(opts.out))}\n` +
            (example
              ? `Spec-Bench: python evaluation/speed.py --file-path ${path.join(opts.out, example.file)} --base-path ${path.join(opts.out, example.baseline)} --tokenizer-path <the model's HF tokenizer>\n`
              : ''),
        );
      }),
    );
}
