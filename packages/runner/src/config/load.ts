import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ResolvedModel, resolveModel } from '@trbench/assets';
import type { SamplingOptions } from '@trbench/core';
import { TrbenchError } from '@trbench/core';
import { parseDocument, type YAMLError } from 'yaml';
import { loadDatasetSource } from '../datasets/load.ts';
import { type PickRule, selectQuestions } from '../datasets/select.ts';
import type { DatasetKind, Question } from '../datasets/types.ts';
import { getMethod, type MethodRequirements, type MethodSpec, methodNames } from '../methods/index.ts';
import type { BackendName, RankName } from '../models/open-model.ts';
import type { TemplateName } from '../models/templates.ts';
import { formatPath, issueLines } from '../validation.ts';
import { hashOf } from './canonical-json.ts';
import { expandEnvVars } from './env-vars.ts';
import { expandGrid, variantId } from './grid.ts';
import { type ConfigFile, configSchema, type DatasetEntry, type WarmupProtocol } from './schema.ts';

/** A model of the sweep, resolved to a file, with the largest draft and top-k any variant needs. */
export interface ModelSetup {
  id: string;
  spec: string;
  backend: BackendName;
  device?: string;
  threads: number;
  /** Ranking path asked for (absent = auto). */
  rank?: RankName;
  template: TemplateName;
  system?: string;
  contextSize?: number;
  /** Present when this entry samples (temperature > 0). */
  sampling?: SamplingOptions;
  resolved: ResolvedModel;
  requirements: MethodRequirements;
}

/** A dataset of the sweep with its selected questions, in file order. */
export interface DatasetSetup {
  id: string;
  kind: DatasetKind;
  file: string;
  sha256: string;
  subtasks: string[];
  questions: Question[];
  maxNewTokens: number;
  /** Per-subtask limit in effect (config and --limit), null = all. */
  limit: number | null;
}

/** One point of a method's parameter grid. */
export interface Variant {
  /** Stable label, e.g. `tr[k=8,template=2.2.2]`. */
  id: string;
  method: string;
  /** Validated parameters, defaults filled in. */
  params: Record<string, unknown>;
  requirements: MethodRequirements;
  /** Dataset ids it runs on; null = all. */
  datasets: string[] | null;
  spec: MethodSpec;
  /** Where it comes from in the config, e.g. `methods[1]` (for messages). */
  source: string;
  /** false: `trbench check` does not gate its speedups (config `speedupGate: false`). */
  speedupGate?: false;
}

/** A validated sweep: everything checked and loaded, nothing written yet. */
export interface SweepConfig {
  /** Absolute path of the config file. */
  file: string;
  /** The path as shown in messages (relative to the working folder when inside it). */
  display: string;
  name: string;
  description?: string;
  warmup: number;
  /** Where the warm-up runs (see the schema's `warmupProtocol`). */
  warmupProtocol: WarmupProtocol;
  repeats: number;
  /** A numeric divergence fails the run too (`strictNumerics`). */
  strictNumerics: boolean;
  /** Relative near-tie width of the lossless diagnosis (`numericTie`). */
  numericTie: number;
  models: ModelSetup[];
  datasets: DatasetSetup[];
  /** AR first (the reference), then the config's variants in order. */
  variants: Variant[];
  /** The normalised config (defaults filled, --limit applied) that `hash` is computed from. */
  normalised: Record<string, unknown>;
  /** sha256 of the canonical JSON of `normalised`. */
  hash: string;
  /** Things the user should know that are not errors (optional methods missing from this build). */
  notes: string[];
  /** Batch sizes swept (config `batch`), null = one request at a time. */
  batch: number[] | null;
  /** Budget policies swept with `batch`. */
  batchBudget: Array<'per-request' | 'shared'>;
}

export interface LoadOptions {
  /** Caps every dataset's per-subtask limit (`trbench run --limit`). */
  limit?: number;
  /** Stops the writing of a generated model (twin, derived) between tensors. */
  signal?: AbortSignal;
}

/** Shown path: relative when under the working folder, so messages read `configs/x.yaml`. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

class ConfigErrors {
  constructor(readonly display: string) {}
  fail(at: ReadonlyArray<PropertyKey>, message: string): never {
    throw new TrbenchError(`${this.display}: ${formatPath(at)}: ${message}`);
  }
}

/**
 * A YAML error on one line: the reason, where, and the offending line itself (the library's message
 * ends with "at line 4, column 1:" and puts the excerpt on the next lines).
 */
export function yamlErrorLine(err: YAMLError, text: string): string {
  const reason = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (!err.linePos) return reason;
  const { line, col } = err.linePos[0];
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  const excerpt = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  return `${reason} at line ${line}, column ${col}${excerpt.trim() ? `: ${JSON.stringify(excerpt)}` : ''}`;
}

function parseFile(file: string, display: string): unknown {
  if (!existsSync(file)) throw new TrbenchError(`config file not found: ${display}`);
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new TrbenchError(`${display}: not valid YAML/JSON: ${yamlErrorLine(doc.errors[0], text)}`);
  const value = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TrbenchError(
      `${display}: expected a mapping with models, datasets and methods (got ${value === null ? 'nothing' : typeof value})`,
    );
  }
  return value;
}

function defaultModelId(spec: string): string {
  const base = spec.startsWith('hf:') ? spec.slice(spec.lastIndexOf('/') + 1).replace(/@.*$/, '') : path.basename(spec);
  return base.replace(/\.gguf$/, '').replace(/[^\w.+-]/g, '_');
}

function datasetDefaultId(entry: DatasetEntry): string {
  if (entry.dataset !== 'jsonl') return entry.dataset;
  return path
    .basename(entry.path)
    .replace(/\.jsonl?$/, '')
    .replace(/[^\w.+-]/g, '_');
}

function assertUnique(ids: string[], errors: ConfigErrors, at: (i: number) => PropertyKey[], what: string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const before = seen.get(id);
    if (before !== undefined)
      errors.fail(at(i), `${what} id ${JSON.stringify(id)} is used twice (also at index ${before}); give each its own id`);
    seen.set(id, i);
  });
}

function expandMethods(config: ConfigFile, datasetIds: string[], errors: ConfigErrors, notes: string[]): Variant[] {
  const variants: Variant[] = [];
  const where = new Map<string, string>();
  const byParams = new Map<string, string>();
  config.methods.forEach((entry, i) => {
    let spec: MethodSpec;
    try {
      spec = getMethod(entry.method);
    } catch {
      if (entry.optional) {
        notes.push(`${formatPath(['methods', i])}: method ${entry.method} is not available in this build; skipped (optional)`);
        return;
      }
      errors.fail(['methods', i, 'method'], `unknown method ${JSON.stringify(entry.method)}: expected one of ${methodNames().join(', ')}`);
    }
    entry.datasets?.forEach((d, j) => {
      if (!datasetIds.includes(d))
        errors.fail(['methods', i, 'datasets', j], `no dataset has the id ${JSON.stringify(d)} (ids: ${datasetIds.join(', ')})`);
    });
    if (spec.name === 'ar' && entry.datasets)
      errors.fail(['methods', i, 'datasets'], 'ar is the reference of every dataset and cannot be restricted');
    for (const [key, value] of Object.entries(entry.params)) {
      if (Array.isArray(value) && value.length === 0) errors.fail(['methods', i, 'params', key], 'an empty list sweeps no value');
    }
    for (const point of expandGrid(entry.params)) {
      const parsed = spec.params.safeParse(point.params);
      if (!parsed.success) {
        const lines = issueLines(parsed.error, point.params, (p) => {
          const [key, ...rest] = p;
          const index = typeof key === 'string' ? point.listIndex[key] : undefined;
          return ['methods', i, 'params', ...(key === undefined ? [] : [key]), ...(index === undefined ? [] : [index]), ...rest];
        });
        throw new TrbenchError(`${errors.display}: ${lines.join('; ')}`);
      }
      const params = parsed.data as Record<string, unknown>;
      let requirements: MethodRequirements;
      try {
        requirements = spec.requirements(params);
      } catch (err) {
        if (err instanceof TrbenchError) errors.fail(['methods', i, 'params'], err.message);
        throw err;
      }
      const id = variantId(spec.name, point.params);
      const earlier = where.get(id);
      if (earlier !== undefined) errors.fail(['methods', i], `variant ${id} is listed twice (also in ${earlier})`);
      const paramsKey = `${spec.name} ${hashOf(params)}`;
      const same = byParams.get(paramsKey);
      if (same !== undefined) errors.fail(['methods', i], `variant ${id} has the same parameters as ${same}`);
      where.set(id, formatPath(['methods', i]));
      byParams.set(paramsKey, id);
      variants.push({
        id,
        method: spec.name,
        params,
        requirements,
        datasets: entry.datasets ?? null,
        spec,
        source: formatPath(['methods', i]),
        ...(entry.speedupGate === false ? { speedupGate: false as const } : {}),
      });
    }
  });
  // AR is the speedup baseline and the lossless reference of every question: always run, and first.
  const ar = variants.find((v) => v.method === 'ar');
  const rest = variants.filter((v) => v !== ar);
  if (ar) return [ar, ...rest];
  const spec = getMethod('ar');
  const params = spec.params.parse({}) as Record<string, unknown>;
  return [
    { id: 'ar', method: 'ar', params, requirements: spec.requirements(params), datasets: null, spec, source: 'ar (implicit)' },
    ...rest,
  ];
}

async function loadDatasets(config: ConfigFile, dir: string, options: LoadOptions, errors: ConfigErrors): Promise<DatasetSetup[]> {
  const ids = config.datasets.map((d) => d.id ?? datasetDefaultId(d));
  assertUnique(ids, errors, (i) => ['datasets', i, 'id'], 'dataset');
  const out: DatasetSetup[] = [];
  for (let i = 0; i < config.datasets.length; i++) {
    const entry = config.datasets[i];
    let loaded: Awaited<ReturnType<typeof loadDatasetSource>>;
    try {
      loaded = await loadDatasetSource(
        entry.dataset === 'jsonl' ? { kind: 'jsonl', path: path.resolve(dir, entry.path), fields: entry.fields } : { kind: entry.dataset },
      );
    } catch (err) {
      if (err instanceof TrbenchError) errors.fail(['datasets', i, ...(entry.dataset === 'jsonl' ? ['path'] : [])], err.message);
      throw err;
    }
    const subset = 'subset' in entry ? entry.subset : undefined;
    subset?.forEach((s, j) => {
      if (!loaded.subtasks.includes(s))
        errors.fail(
          ['datasets', i, 'subset', j],
          `${JSON.stringify(s)} is not a subtask of ${loaded.file} (it has ${loaded.subtasks.join(', ')})`,
        );
    });
    const limit = options.limit === undefined ? entry.limit : Math.min(options.limit, entry.limit ?? options.limit);
    const questions = selectQuestions(loaded.questions, { subset, limit, pick: entry.pick as PickRule });
    if (questions.length === 0) errors.fail(['datasets', i], `no question selected from ${loaded.file}`);
    out.push({
      id: ids[i],
      kind: loaded.kind,
      file: loaded.file,
      sha256: loaded.sha256,
      subtasks: loaded.subtasks.filter((s) => questions.some((q) => q.subtask === s)),
      questions,
      maxNewTokens: entry.maxNewTokens ?? config.maxNewTokens,
      limit: limit ?? null,
    });
  }
  return out;
}

/** A model entry of a sweep as written, its path made absolute, nothing opened (`readSweepConfig`). */
export interface ModelEntryPlan {
  id: string;
  /** As written in the config (after environment expansion). */
  spec: string;
  /** What `resolveModel` receives: a relative `.gguf` path made absolute against the config's folder. */
  resolveSpec: string;
  backend: BackendName;
  device?: string;
  threads: number;
  rank?: RankName;
  /** Null: the model's own default (known once the file is opened). */
  template: TemplateName | null;
  system?: string;
  contextSize?: number;
  sampling?: SamplingOptions;
}

/** A sweep config read and checked except for its models, which are located but not opened. */
export interface SweepConfigPlan extends Omit<SweepConfig, 'models' | 'normalised' | 'hash'> {
  models: ModelEntryPlan[];
  /** The requirements every model is opened with (largest draft and top-k of any variant). */
  requirements: MethodRequirements;
  /** The config's dataset entries, defaults filled in (the normalised config is made of them). */
  datasetEntries: DatasetEntry[];
}

/**
 * Reads and checks a sweep config (structure, environment references, every method's parameter schema,
 * grids, datasets present and readable) without opening, downloading or generating any model: the dry
 * run's view, and the first half of `loadSweepConfig`.
 */
export async function readSweepConfig(file: string, options: LoadOptions = {}): Promise<SweepConfigPlan> {
  const abs = path.resolve(file);
  const display = displayPath(abs);
  const errors = new ConfigErrors(display);
  const raw = expandEnvVars(parseFile(abs, display), process.env, display);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new TrbenchError(`${display}: ${issueLines(parsed.error, raw).join('; ')}`);
  const config = parsed.data;
  const dir = path.dirname(abs);
  const datasetIds = config.datasets.map((d) => d.id ?? datasetDefaultId(d));
  const notes: string[] = [];
  const variants = expandMethods(config, datasetIds, errors, notes);
  const datasets = await loadDatasets(config, dir, options, errors);
  const ids = config.models.map((m) => m.id ?? defaultModelId(m.model));
  assertUnique(ids, errors, (i) => ['models', i, 'id'], 'model');
  const models = config.models.map((entry, i): ModelEntryPlan => {
    const isPath = !entry.model.startsWith('hf:') && (entry.model.endsWith('.gguf') || entry.model.includes('/'));
    return {
      id: ids[i],
      spec: entry.model,
      resolveSpec: isPath ? path.resolve(dir, entry.model) : entry.model,
      backend: entry.backend,
      device: entry.device,
      threads: entry.threads,
      ...(entry.rank !== undefined ? { rank: entry.rank } : {}),
      template: entry.template ?? null,
      system: entry.system,
      contextSize: entry.contextSize,
      ...(entry.sampling && entry.sampling.temperature > 0 ? { sampling: entry.sampling } : {}),
    };
  });
  const requirements = {
    maxDraftNodes: Math.max(...variants.map((v) => v.requirements.maxDraftNodes)),
    // At least 2: the lossless check diagnoses a divergence from the target's top-2 at each committed token.
    topK: Math.max(2, ...variants.map((v) => v.requirements.topK)),
  };
  return {
    file: abs,
    display,
    name: config.name ?? path.basename(abs).replace(/\.(ya?ml|json)$/, ''),
    description: config.description,
    warmup: config.warmup,
    warmupProtocol: config.warmupProtocol,
    repeats: config.repeats,
    strictNumerics: config.strictNumerics,
    numericTie: config.numericTie,
    models,
    datasets,
    variants,
    notes,
    batch: config.batch ?? null,
    batchBudget: config.batchBudget ?? ['per-request'],
    requirements,
    datasetEntries: config.datasets,
  };
}

async function resolveModels(plan: SweepConfigPlan, signal: AbortSignal | undefined): Promise<ModelSetup[]> {
  const errors = new ConfigErrors(plan.display);
  const out: ModelSetup[] = [];
  for (let i = 0; i < plan.models.length; i++) {
    const entry = plan.models[i];
    let resolved: ResolvedModel;
    try {
      resolved = await resolveModel(entry.resolveSpec, { signal });
    } catch (err) {
      if (err instanceof TrbenchError) errors.fail(['models', i, 'model'], err.message);
      throw err;
    }
    const { resolveSpec: _s, template, ...rest } = entry;
    out.push({ ...rest, template: template ?? resolved.defaultTemplate, resolved, requirements: plan.requirements });
  }
  return out;
}

/**
 * Reads and checks a sweep config completely (structure, every method's own parameter schema, grids,
 * datasets present and readable, models resolvable) without writing anything in the run folder. Errors
 * name the file, the field path, the value and what is allowed.
 */
export async function loadSweepConfig(file: string, options: LoadOptions = {}): Promise<SweepConfig> {
  const plan = await readSweepConfig(file, options);
  const { datasets, variants } = plan;
  const models = await resolveModels(plan, options.signal);

  const normalised = {
    warmup: plan.warmup,
    // Only with a warm-up (it changes nothing without one), so warm-up-free configs keep their hash.
    ...(plan.warmup > 0 ? { warmupProtocol: plan.warmupProtocol } : {}),
    repeats: plan.repeats,
    models: models.map((m) => ({
      id: m.id,
      model: m.spec,
      backend: m.backend,
      device: m.device ?? null,
      threads: m.threads,
      // Only when set, so configs without it keep their hash.
      ...(m.rank !== undefined ? { rank: m.rank } : {}),
      template: m.template,
      system: m.system ?? null,
      contextSize: m.contextSize ?? null,
    })),
    datasets: plan.datasetEntries.map((entry, i) => ({
      ...entry,
      id: datasets[i].id,
      limit: datasets[i].limit,
      maxNewTokens: datasets[i].maxNewTokens,
    })),
    variants: variants.map((v) => ({ id: v.id, method: v.method, params: v.params, datasets: v.datasets })),
    // Only when set, so configs without them keep their hash.
    ...(plan.batch ? { batch: plan.batch, batchBudget: plan.batchBudget } : {}),
  };
  const { requirements: _r, datasetEntries: _d, ...rest } = plan;
  return { ...rest, models, normalised, hash: hashOf(normalised) };
}
