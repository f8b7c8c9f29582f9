import { resolveModel } from '@trbench/assets';
import { Datastore, readCorpus } from '@trbench/baselines';
import { describeInterruption } from '@trbench/core';
import type { Command } from 'commander';
import { buildDatastore } from '../methods/phase-progress.ts';
import { runCommand } from './cli-helpers.ts';

/** `trbench datastore build|info`: REST datastores (tokens + suffix array, tied to one model's sha256). */
export function registerDatastoreCommand(program: Command): void {
  const datastore = program.command('datastore').description('build or inspect a REST datastore');
  datastore
    .command('build')
    .description('tokenize a JSONL corpus ("tokens" or "text" per line) and write its suffix-array datastore')
    .requiredOption('--corpus <file>', 'JSONL corpus, e.g. from trbench corpus')
    .requiredOption('--out <file>', 'datastore file to write')
    .option('--model <spec>', 'model whose tokenizer the datastore is for', 'stories260K')
    .action((opts: Record<string, string>) =>
      runCommand(async (signal) => {
        const resolved = await resolveModel(opts.model, { signal });
        const { Vocabulary } = await import('@trbench/tokenizer');
        const vocab = await Vocabulary.openVocabOnly(resolved.path, resolved.extraStopTokens);
        try {
          const t0 = performance.now();
          const docs = readCorpus(opts.corpus, (text) => vocab.tokenize(text, true));
          const ds = await describeInterruption(
            'building the datastore',
            `nothing was written to ${opts.out} (the file appears only when it is complete)`,
            () => buildDatastore(docs, vocab.size, resolved.sha256, signal, ''),
          );
          ds.save(opts.out);
          process.stderr.write(
            `wrote ${opts.out}: ${ds.documentCount} documents, ${ds.tokens.length} tokens, model ${resolved.name} (sha256 ${resolved.sha256}), ` +
              `${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
          );
        } finally {
          vocab.dispose();
        }
      }),
    );
  datastore
    .command('info')
    .description('print what a datastore holds')
    .argument('<file>', 'datastore file')
    .action((file: string) =>
      runCommand(() => {
        const ds = Datastore.load(file);
        process.stdout.write(
          `${JSON.stringify({ file, documents: ds.documentCount, tokens: ds.tokens.length, vocabSize: ds.vocabSize, modelSha256: ds.modelSha256 })}\n`,
        );
      }),
    );
}
