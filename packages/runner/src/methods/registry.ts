import { type Drafter, type TargetModel, TrbenchError } from '@trbench/core';
import type { z } from 'zod';
import { validate } from '../validation.ts';

/** What a method factory may use besides its parameters. */
export interface MethodContext {
  vocabSize: number;
  modelSha256: string;
  modelName: string;
  /** The opened target model (TR's `--template auto` tunes on it). */
  model: TargetModel;
  /** The spec the target was resolved from (`sps` self-speculation derives its draft from it). */
  modelSpec?: string;
  /** Requests will sample (temperature > 0): a draft model must expose its logits. */
  sampled?: boolean;
  /** Ctrl-C / SIGTERM: long setup work (tuning, a sampled datastore, a draft model written) stops at its next step. */
  signal?: AbortSignal;
}

/** A command-line flag that sets one method parameter. */
export interface MethodFlag {
  /** commander flag syntax, e.g. `--k <n>`; boolean flags have no argument. */
  flags: string;
  description: string;
  /** Parameter it sets. */
  param: string;
  /** Converts the raw string; default: numbers when the text is numeric, else the text. */
  parse?: (raw: string) => unknown;
}

/**
 * One decoding method: its parameters (a zod schema with defaults, shared by the CLI and configs), its
 * flags, and a factory for its drafter.
 */
export interface MethodSpec<P extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  params: P;
  flags: MethodFlag[];
  /** Draft size and top-k width the model must be opened for, from the parameters alone. */
  requirements(params: z.infer<P>): MethodRequirements;
  create(params: z.infer<P>, context: MethodContext): Drafter | Promise<Drafter>;
  /**
   * Whether the drafter carries state from one request to the next (TR's hot-start matrix, SuffixDecoding's
   * global tree): a shard then replays, unrecorded, the earlier questions of its dataset so the drafter
   * reaches the state a one-machine run has. `false` lets a shard skip them: every request then depends on
   * its prompt alone. Absent = true (replaying is always correct, only slower).
   */
  carriesState?(params: z.infer<P>): boolean;
  /**
   * How the drafter keeps its state when several requests are decoded together (`batch` > 1; see
   * `batch-drafters.ts`): `per-request` (absent): every slot gets its own instance from `create`; `shared`:
   * the method keeps global state that every request reads and updates (TR's hot matrix, the suffix global
   * tree): `createSlots` builds the slots' drafters over that one state, or, without it, one instance from
   * `create` serves every slot.
   */
  batchSharing?(params: z.infer<P>): 'per-request' | 'shared';
  createSlots?(params: z.infer<P>, context: MethodContext, slots: number): Drafter[] | Promise<Drafter[]>;
}

export interface MethodRequirements {
  /** Largest draft, root included. */
  maxDraftNodes: number;
  /** Top-k width needed per node. */
  topK: number;
}

const registry = new Map<string, MethodSpec>();

/** Adds a method to the registry. */
export function registerMethod<P extends z.ZodType>(spec: MethodSpec<P>): void {
  if (registry.has(spec.name)) throw new Error(`method ${spec.name} registered twice`);
  registry.set(spec.name, spec as unknown as MethodSpec);
}

export function methodNames(): string[] {
  return [...registry.keys()];
}

export function getMethod(name: string): MethodSpec {
  const spec = registry.get(name);
  if (!spec) throw new TrbenchError(`unknown method ${JSON.stringify(name)}: expected one of ${methodNames().join(', ')}`);
  return spec;
}

/** Every flag of every method, deduplicated by flag text (methods may share a flag such as `--k`). */
export function allMethodFlags(): MethodFlag[] {
  const seen = new Map<string, MethodFlag>();
  for (const m of registry.values()) for (const f of m.flags) if (!seen.has(f.flags)) seen.set(f.flags, f);
  return [...seen.values()];
}

/** Validates a method's parameters, naming `where` (a file and field, or "command line") on error. */
export function parseMethodParams(spec: MethodSpec, raw: Record<string, unknown>, where: string): Record<string, unknown> {
  return validate(spec.params, raw, `${where} (method ${spec.name})`) as Record<string, unknown>;
}

/** Numeric text becomes a number so that zod can report range errors on the real value. */
export function parseFlagValue(raw: string): unknown {
  const t = raw.trim();
  return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t) ? Number(t) : raw;
}

/** Creates the drafter for `name` with validated parameters. */
export async function createDrafter(
  name: string,
  params: Record<string, unknown>,
  context: MethodContext,
  where = 'parameters',
): Promise<Drafter> {
  const spec = getMethod(name);
  const parsed = parseMethodParams(spec, params, where);
  return spec.create(parsed, context);
}
