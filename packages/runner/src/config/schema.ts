import { z } from 'zod';
import { SPEC_BENCH_SUBTASKS } from '../datasets/spec-bench.ts';
import { BACKENDS, RANKS } from '../models/open-model.ts';
import { TEMPLATES } from '../models/templates.ts';

/** Names that end up in file names and record keys. */
const name = z.string().regex(/^[A-Za-z0-9][\w.+-]*$/, 'expected letters, digits and _ . + - (starting with a letter or digit)');

const modelEntry = z
  .object({
    /** `stories260K`, a .gguf path (relative to the config file) or `hf:owner/repo/file.gguf`. */
    model: z.string().min(1),
    /** Label in records and reports; default: the model's name. */
    id: name.optional(),
    backend: z.enum(BACKENDS).default('llama.cpp'),
    device: z.string().min(1).optional(),
    threads: z.int().min(1).max(512).default(1),
    /** Where node top-k is computed (`host`, `engine`, `auto` = engine on a GPU, host on CPU); default auto. */
    rank: z.enum(RANKS).optional(),
    /** Default: the model's own (raw for stories260K). */
    template: z.enum(TEMPLATES).optional(),
    /** System message replacing vicuna's default, or added to chatml. */
    system: z.string().optional(),
    contextSize: z.int().min(16).optional(),
    /**
     * Sampling for every method on this model entry (give entries distinct ids to compare temperatures).
     * Temperature 0 or absent = greedy, checked token for token against AR; sampled runs are lossless in
     * distribution (proven by the sampling tests), so their records carry no token-identity check.
     */
    sampling: z
      .object({
        temperature: z.number().min(0).max(100).default(0),
        topK: z.int().min(0).default(0),
        topP: z.number().gt(0).max(1).default(1),
        seed: z.int().min(0).default(0),
      })
      .strict()
      .optional(),
  })
  .strict();

const selection = {
  /** Label in records and reports; default: the dataset kind (jsonl: the file name). */
  id: name.optional(),
  /** At most this many questions per subtask. */
  limit: z.int().min(1).optional(),
  pick: z.enum(['first', 'spread']).default('first'),
  /** Overrides the top-level maxNewTokens for this dataset. */
  maxNewTokens: z.int().min(1).optional(),
};

const jsonlFields = z
  .object({
    id: z.string().min(1).optional(),
    prompt: z.string().min(1).optional(),
    turns: z.string().min(1).optional(),
    category: z.string().min(1).optional(),
  })
  .strict()
  .refine((f) => (f.prompt === undefined) !== (f.turns === undefined), { message: 'give exactly one of prompt and turns' });

const datasetEntry = z.discriminatedUnion('dataset', [
  z.object({ dataset: z.literal('spec-bench'), subset: z.array(z.enum(SPEC_BENCH_SUBTASKS)).min(1).optional(), ...selection }).strict(),
  z.object({ dataset: z.literal('mbpp'), ...selection }).strict(),
  z.object({ dataset: z.literal('stories'), ...selection }).strict(),
  z
    .object({
      dataset: z.literal('jsonl'),
      /** Relative to the config file. */
      path: z.string().min(1),
      fields: jsonlFields,
      subset: z.array(z.string().min(1)).min(1).optional(),
      ...selection,
    })
    .strict(),
]);

const methodEntry = z
  .object({
    method: z.string().min(1),
    /** The method's parameters; a list sweeps its values (cartesian product over all lists). */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Run only on these dataset ids (default: all). */
    datasets: z.array(z.string().min(1)).min(1).optional(),
    /** Skip this entry, with a note, when the method is not registered in this build (default false: an error). */
    optional: z.boolean().default(false),
    /**
     * false: `trbench check` gates this entry's lossless and MAT but not its speedups, for rows whose speed
     * varies between runs by more than the gate's tolerance (measured, e.g. in results/reports/gate-evidence.md).
     * Absent = gated. Not part of the config hash: it changes what is checked, not what is measured.
     */
    speedupGate: z.boolean().optional(),
  })
  .strict();

/** Where the warm-up runs: on a separate drafter (`isolated`) or on the recorded one (`spec-bench`). */
export const WARMUP_PROTOCOLS = ['isolated', 'spec-bench'] as const;
export type WarmupProtocol = (typeof WARMUP_PROTOCOLS)[number];

/** The file format of `configs/*.yaml` (structure only; method parameters are checked by each method). */
export const configSchema = z
  .object({
    /** Default run name (`results/runs/<name>`); default: the config file's name. */
    name: name.optional(),
    description: z.string().optional(),
    maxNewTokens: z.int().min(1).default(256),
    /** Unrecorded runs of the first question before each method's timed loop (Spec-Bench: 3). */
    warmup: z.int().min(0).default(3),
    /**
     * Where the warm-up runs. `isolated` (default): on a separate drafter from the same factory, thrown away,
     * so the recorded runs see exactly the drafter state of `warmup: 0` (a stateful drafter — TR's hot matrix,
     * SuffixDecoding's global tree, an n-gram server slot — learns nothing from it). `spec-bench`: on the
     * recorded drafter, as Spec-Bench does: the first question's answer is then in its state before it is
     * measured. Part of the config hash when `warmup` > 0.
     */
    warmupProtocol: z.enum(WARMUP_PROTOCOLS).default('isolated'),
    /** Independent passes (fresh drafter, warm-up, whole dataset); Spec-Bench reports the mean of 3. */
    repeats: z.int().min(1).default(1),
    /**
     * A numeric divergence from plain decoding (a floating-point tie flip between the model's evaluations)
     * fails the run too, as a logic one always does. Not part of the config hash: it changes no measurement.
     */
    strictNumerics: z.boolean().default(false),
    /**
     * Relative width of a near-tie in the lossless diagnosis: a divergence is `numeric` when each run committed
     * its own argmax and the two tokens lie within `numericTie · max(1, |logit|)` in both evaluations. The
     * default 0.01 covers float reordering (F16: ≤ 0.08 % measured); weights that quantise activations to 8 bits
     * (Q8_0, Q4_0, K-quants on llama.cpp's CPU build) move logits by up to 1.8 % between batch shapes
     * (`results/reports/cpu-quant.md`), so their configs may say 0.02. Recorded in the manifest when set; not
     * part of the config hash (it changes no measurement, only the verdict).
     */
    numericTie: z.number().gt(0).max(0.1).default(0.01),
    /**
     * Requests decoded together (a swept axis, e.g. [1, 2, 4, 8]): the sweep then runs batched
     * (`sweep/batch-sweep.ts`, llama.cpp only, greedy, first turns). Absent: one request at a time, as always.
     */
    batch: z.array(z.int().min(1).max(256)).min(1).optional(),
    /** Node budget policies swept with `batch` (default [per-request]); `shared` sizes each forward from t(N). */
    batchBudget: z
      .array(z.enum(['per-request', 'shared']))
      .min(1)
      .optional(),
    models: z.array(modelEntry).min(1),
    datasets: z.array(datasetEntry).min(1),
    methods: z.array(methodEntry).min(1),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntry>;
export type DatasetEntry = z.infer<typeof datasetEntry>;
export type MethodEntry = z.infer<typeof methodEntry>;
