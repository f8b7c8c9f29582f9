import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, phaseProgress } from '@trbench/assets';
import { CORPUS_SAMPLER_VERSION, DATASTORE_FORMAT_VERSION, Datastore, REST_DEFAULTS, RestDrafter, sampleCorpus } from '@trbench/baselines';
import { describeInterruption, type TargetModel, TrbenchError } from '@trbench/core';
import { z } from 'zod';
import { hashOf } from '../config/canonical-json.ts';
import { buildDatastore, withPhase } from './phase-progress.ts';
import { registerMethod } from './registry.ts';

const d = REST_DEFAULTS;

/** `datastore: auto`: the corpus trbench samples from the model itself (no TinyStories text ships). */
const AUTO_CORPUS = { samples: 1000, seed: 1, temperature: 1, maxNewTokens: 256 } as const;

/**
 * Everything that determines the auto datastore's bytes: the corpus options, the sampler's and the file
 * format's versions, the model (its sha256 also fixes the tokenizer and so the BOS prompt) and the engine
 * that computed the logits sampled from (another backend, version, device, setting or thread count may round
 * a logit differently and flip a draw).
 */
export function autoDatastoreKey(model: Pick<TargetModel, 'backend'>, modelSha256: string): Record<string, unknown> {
  const b = model.backend;
  return {
    corpus: { ...AUTO_CORPUS, prompt: 'BOS' },
    samplerVersion: CORPUS_SAMPLER_VERSION,
    formatVersion: DATASTORE_FORMAT_VERSION,
    model: modelSha256,
    backend: { name: b.name, version: b.version, device: b.device, threads: b.threads, settings: b.settings ?? {} },
  };
}

/** Cache file name of the auto datastore: readable corpus options, then 16 hex digits of the whole key's hash. */
export function autoDatastoreFileName(model: Pick<TargetModel, 'backend'>, modelSha256: string): string {
  const c = AUTO_CORPUS;
  const key = hashOf(autoDatastoreKey(model, modelSha256)).slice(0, 16);
  return `${modelSha256.slice(0, 16)}-self-${c.samples}-t${c.temperature}-s${c.seed}-n${c.maxNewTokens}-${key}.rest`;
}

/**
 * The cached self-sampled datastore for this model, built on first use: AUTO_CORPUS.samples stories sampled
 * from BOS at temperature 1 (seeded), as `trbench corpus` + `trbench datastore build` would make it.
 */
export async function autoDatastore(model: TargetModel, vocabSize: number, modelSha256: string, signal?: AbortSignal): Promise<string> {
  const c = AUTO_CORPUS;
  const file = path.join(cacheDir(), 'rest', autoDatastoreFileName(model, modelSha256));
  if (existsSync(file)) return file;
  if (!model.nodeLogits)
    throw new TrbenchError(
      `datastore auto samples from the model, which backend ${model.backend.name} cannot do here; build one with trbench corpus and trbench datastore build`,
    );
  process.stderr.write(`[rest] sampling a ${c.samples}-story corpus from the model for its datastore (cached in ${file})\n`);
  const kept = 'nothing was cached (the corpus is sampled again on the next run)';
  const docs = await describeInterruption('sampling the REST corpus', kept, () =>
    withPhase(phaseProgress('[rest] sampling corpus', c.samples, { unit: 'stories' }), (progress) =>
      sampleCorpus(model, { ...c, prompt: model.tokenize('', true), signal }, (i) => progress.update(i + 1)),
    ),
  );
  const datastore = await describeInterruption('building the REST datastore', kept, () =>
    buildDatastore(
      docs.map((s) => s.tokens),
      vocabSize,
      modelSha256,
      signal,
      '[rest]',
    ),
  );
  datastore.save(file);
  return file;
}
const params = z
  .object({
    datastore: z.string().min(1).optional(),
    maxQuery: z.number().int().min(1).max(256).default(d.maxQuery),
    minQuery: z.number().int().min(1).max(256).default(d.minQuery),
    maxMatches: z.number().int().min(1).max(1_000_000).default(d.maxMatches),
    continuation: z.number().int().min(1).max(64).default(d.continuation),
    draftTokens: z.number().int().min(1).max(255).default(d.draftTokens),
    // REST drafts token 100 when no query hits; `none` (or null) drafts nothing there (trbench before issue 33).
    missToken: z
      .union([z.number().int().min(0), z.literal('none'), z.null()])
      .default(d.missToken)
      .transform((v) => (v === 'none' ? null : v)),
    // `choices`: REST's cut_to_choices (distinct-token budget of draftTokens); `none`: the uncut top-k tree.
    cut: z.enum(['choices', 'none']).default(d.cut),
  })
  .strict()
  .refine((p) => p.minQuery <= p.maxQuery, { message: 'minQuery must not exceed maxQuery', path: ['minQuery'] });

registerMethod({
  name: 'rest',
  summary:
    "REST: retrieve continuations of the last 16..2 tokens from a datastore, draft the 64 most frequent prefixes cut to REST's distinct-token budget of 64",
  params,
  flags: [
    {
      flags: '--rest-datastore <file>',
      description: 'rest: datastore file (trbench datastore build), or auto: sampled from the model itself and cached',
      param: 'datastore',
      parse: (raw) => raw,
    },
    { flags: '--rest-max-query <n>', description: 'rest: longest query (default 16)', param: 'maxQuery' },
    { flags: '--rest-min-query <n>', description: 'rest: shortest query (default 2)', param: 'minQuery' },
    { flags: '--rest-matches <n>', description: 'rest: most match positions read (default 5000)', param: 'maxMatches' },
    { flags: '--rest-continuation <n>', description: 'rest: tokens taken after each match (default 10)', param: 'continuation' },
    { flags: '--rest-draft-tokens <n>', description: 'rest: draft tree size without the root (default 64)', param: 'draftTokens' },
    {
      flags: '--rest-miss-token <id|none>',
      description: 'rest: token drafted when no query hits (default 100, as REST; none: a plain step)',
      param: 'missToken',
    },
    {
      flags: '--rest-cut <choices|none>',
      description: "rest: choices (default): REST's cut_to_choices, distinct-token budget of draftTokens; none: the uncut top-k tree",
      param: 'cut',
    },
  ],
  requirements: (p) => ({ maxDraftNodes: p.draftTokens + 1, topK: 1 }),
  create: async (p, ctx) => {
    if (!p.datastore)
      throw new TrbenchError('method rest needs a datastore: pass --rest-datastore FILE (built with trbench datastore build) or auto');
    const source = p.datastore === 'auto' ? await autoDatastore(ctx.model, ctx.vocabSize, ctx.modelSha256, ctx.signal) : p.datastore;
    const datastore = Datastore.load(source, ctx.modelSha256);
    const { datastore: file, ...options } = p;
    if (options.missToken !== null && options.missToken >= ctx.vocabSize)
      throw new TrbenchError(
        `method rest: missToken ${options.missToken} is not a token id of this model (vocabulary ${ctx.vocabSize}); pass another id or none`,
      );
    return new RestDrafter(datastore, options, file);
  },
  // The datastore is read-only.
  carriesState: () => false,
});
