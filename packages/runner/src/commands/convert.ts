import type { Command } from 'commander';
import { displayPath } from '../config/load.ts';
import { CONVERT_TYPES, type ConvertType, convertHf } from '../models/hf-convert.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench convert --hf DIR --out FILE.gguf`: a Hugging Face checkpoint to GGUF with llama.cpp's own converter. */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description(
      "convert a Hugging Face checkpoint (safetensors / PyTorch) to GGUF with llama.cpp's own convert_hf_to_gguf.py, from the llama.cpp source node-llama-cpp pins",
    )
    .requiredOption('--hf <dir>', 'checkpoint folder (config.json, tokenizer, weights), e.g. a clone of lmsys/vicuna-7b-v1.3')
    .requiredOption('--out <file>', 'GGUF file to write (appears only when complete)')
    .option('--type <type>', `weight type: ${CONVERT_TYPES.join(', ')}`, 'f16')
    .option('--python <path>', 'Python 3 interpreter with torch, transformers, sentencepiece, safetensors, numpy', 'python3')
    .option('--json', 'print the result as one JSON line')
    .action((opts: { hf: string; out: string; type: string; python: string; json?: boolean }) =>
      runCommand(async (signal) => {
        const r = await convertHf({ hf: opts.hf, out: opts.out, type: opts.type as ConvertType, python: opts.python, signal });
        const facts = {
          out: r.out,
          bytes: r.bytes,
          sha256: r.sha256,
          architecture: r.architecture,
          fileType: r.fileType,
          tensors: r.tensors,
          vocabSize: r.vocabSize,
          contextLength: r.contextLength,
          converter: { dir: r.converter.dir, origin: r.converter.origin, commit: r.converter.commit ?? null },
          python: { executable: r.python.executable, version: r.python.version },
          seconds: Number(r.seconds.toFixed(1)),
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(facts)}\n`);
        else
          process.stdout.write(
            `wrote ${displayPath(r.out)}: ${r.architecture ?? 'unknown architecture'}, ${r.tensors} tensors, vocabulary ${r.vocabSize ?? '?'}, ` +
              `context ${r.contextLength ?? '?'}, file type ${r.fileType ?? '?'}, ${(r.bytes / 2 ** 30).toFixed(2)} GiB, sha256 ${r.sha256} (${facts.seconds} s)\n`,
          );
      }),
    );
}
