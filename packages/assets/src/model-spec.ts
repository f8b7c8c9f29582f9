import { TrbenchError } from '@trbench/core';
import { WEIGHT_TYPES, type WeightType } from './quantize.ts';

/** Shape of a llama model: residual width, blocks, query heads, KV heads, FFN width. */
export interface LlamaShape {
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
}

/** stories260K's shape: every twin must be at least this large in every dimension. */
export const STORIES260K_SHAPE: LlamaShape = { dim: 64, layers: 5, heads: 8, kvHeads: 4, ffn: 172 };

/** stories260K's vocabulary: a twin's default, and the real tokens of every twin. */
export const STORIES260K_VOCAB = 512;

/** Largest vocabulary a twin may have (Gemma's 256,000 fits). */
export const MAX_TWIN_VOCAB = 262_144;

/**
 * A twin's shape: a llama shape and a vocabulary. Above stories260K's 512 tokens the twin has an untied
 * LM head whose extra tokens are never generated (`twin/layout.ts`).
 */
export interface TwinShape extends LlamaShape {
  vocab: number;
}

/** Twin shapes known by name (published configs of the models they stand in for, vocabulary included). */
export const NAMED_TWIN_SHAPES: Readonly<Record<string, TwinShape>> = {
  'vicuna-7b': { dim: 4096, layers: 32, heads: 32, kvHeads: 32, ffn: 11008, vocab: 32_000 },
  'vicuna-13b': { dim: 5120, layers: 40, heads: 40, kvHeads: 40, ffn: 13824, vocab: 32_000 },
  'vicuna-33b': { dim: 6656, layers: 60, heads: 52, kvHeads: 52, ffn: 17920, vocab: 32_000 },
  'llama-3-8b': { dim: 4096, layers: 32, heads: 32, kvHeads: 8, ffn: 14336, vocab: 128_256 },
  'tinyllama-1.1b': { dim: 2048, layers: 22, heads: 32, kvHeads: 4, ffn: 5632, vocab: 32_000 },
};

/** A model derived from stories260K: a layer-dropped and/or re-typed copy. */
export interface DerivedSpec {
  kind: 'derived';
  /** Canonical spec, e.g. `stories260K:layers=0,1,2,4:q8_0`. */
  canonical: string;
  /** Layers kept, ascending; null keeps all. */
  layers: number[] | null;
  /** Weight type; null keeps the source's F32. */
  type: WeightType | null;
}

/**
 * llama.cpp's K-quant mixtures a twin may have: made from the twin's F16 file by libllama's own quantiser
 * (`llama_model_quantize`), never by trbench's code.
 */
export const KQUANT_TYPES = ['q4_k_m', 'q5_k_m', 'q6_k'] as const;
export type KQuantType = (typeof KQUANT_TYPES)[number];

/** Weight types of a twin: trbench's own encodings, or a K-quant mixture made by libllama. */
export type TwinType = WeightType | KQuantType;

/** K-quants pack rows in super-blocks of 256 values (QK_K). */
export const QK_K = 256;

export function isKQuant(type: string): type is KQuantType {
  return (KQUANT_TYPES as readonly string[]).includes(type);
}

/** A twin of stories260K at a llama shape. */
export interface TwinSpec {
  kind: 'twin';
  /** The spec with the type made explicit, e.g. `twin:vicuna-7b:f16`. */
  name: string;
  /** Canonical spec (explicit shape), e.g. `twin:d4096-l32-h32-kv32-f11008:f16`. */
  canonical: string;
  /** `d<D>-l<L>-h<H>-kv<KV>-f<F>[-v<V>]` (`-v` only when V is not 512). */
  shapeString: string;
  shape: TwinShape;
  type: TwinType;
}

export type ParsedModelSpec = DerivedSpec | TwinSpec;

const SHAPE_RE = /^d(\d+)-l(\d+)-h(\d+)-kv(\d+)-f(\d+)(?:-v(.*))?$/;

/** `d<D>-l<L>-h<H>-kv<KV>-f<F>`, with `-v<V>` when a vocabulary other than stories260K's 512 is given. */
export function shapeString(s: LlamaShape & { vocab?: number }): string {
  const v = s.vocab !== undefined && s.vocab !== STORIES260K_VOCAB ? `-v${s.vocab}` : '';
  return `d${s.dim}-l${s.layers}-h${s.heads}-kv${s.kvHeads}-f${s.ffn}${v}`;
}

/** The vocabulary of a `-v<V>` suffix, or why it is not one. */
function parseVocab(text: string): number | string {
  const what = `vocabulary ${JSON.stringify(`-v${text}`)}`;
  if (!/^\d+$/.test(text)) return `${what} is not a positive integer`;
  const v = Number(text);
  if (v < STORIES260K_VOCAB) return `${what} is below stories260K's ${STORIES260K_VOCAB} tokens`;
  if (v > MAX_TWIN_VOCAB) return `${what} is above the largest twin vocabulary, ${MAX_TWIN_VOCAB}`;
  return v;
}

function twinError(spec: string, why: string): TrbenchError {
  return new TrbenchError(
    `bad twin spec ${JSON.stringify(spec)}: ${why}; expected twin:<shape>[:<type>] with <shape> one of ` +
      `${Object.keys(NAMED_TWIN_SHAPES).join(', ')} or d<D>-l<L>-h<H>-kv<KV>-f<F>[-v<V>] (e.g. d256-l6-h16-kv8-f688, vocabulary V ${STORIES260K_VOCAB}..${MAX_TWIN_VOCAB}, default ${STORIES260K_VOCAB}), ` +
      `<type> one of ${[...WEIGHT_TYPES, ...KQUANT_TYPES].join(', ')} (default f16)`,
  );
}

/**
 * Why a twin of stories260K cannot have this shape, or null when it can. stories260K's 8 heads and 4
 * KV heads must fit in the twin's heads with the twin's own grouping; its RoPE pairs must land on pairs
 * of the same frequency (head size a multiple of stories260K's 8); block types need rows of 32.
 */
export function twinShapeProblem(s: TwinShape, type: TwinType): string | null {
  const src = STORIES260K_SHAPE;
  for (const [field, v] of Object.entries(s)) if (!Number.isSafeInteger(v) || v <= 0) return `${field} ${v} is not a positive integer`;
  if (s.dim < src.dim) return `width ${s.dim} is below stories260K's ${src.dim}`;
  if (s.layers < src.layers) return `${s.layers} layers is below stories260K's ${src.layers}`;
  if (s.heads < src.heads) return `${s.heads} heads is below stories260K's ${src.heads}`;
  if (s.kvHeads < src.kvHeads) return `${s.kvHeads} KV heads is below stories260K's ${src.kvHeads}`;
  if (s.ffn < src.ffn) return `FFN width ${s.ffn} is below stories260K's ${src.ffn}`;
  if (s.dim % s.heads !== 0) return `${s.heads} heads do not divide the width ${s.dim}`;
  if (s.heads % s.kvHeads !== 0) return `${s.kvHeads} KV heads do not divide ${s.heads} heads`;
  const head = s.dim / s.heads;
  const srcHead = src.dim / src.heads;
  if (head % srcHead !== 0) return `head size ${head} (${s.dim}/${s.heads}) is not a multiple of stories260K's ${srcHead}`;
  if ((type === 'q8_0' || type === 'q4_0') && (s.dim % 32 !== 0 || s.ffn % 32 !== 0))
    return `${type} needs the width and FFN width to be multiples of 32 (got ${s.dim} and ${s.ffn})`;
  // llama.cpp would quietly fall back to another type for rows that are not whole super-blocks.
  if (isKQuant(type) && (s.dim % QK_K !== 0 || s.ffn % QK_K !== 0))
    return `${type} needs the width and FFN width to be multiples of ${QK_K} (K-quant super-blocks; got ${s.dim} and ${s.ffn})`;
  if (s.vocab > STORIES260K_VOCAB && s.dim < src.dim + 32)
    return `a vocabulary above ${STORIES260K_VOCAB} needs a width of at least ${src.dim + 32} (its extra tokens read a spare block of 32 residual dims), got ${s.dim}`;
  return null;
}

function parseTwin(spec: string): TwinSpec {
  const parts = spec.slice('twin:'.length).split(':');
  if (parts.length > 2 || parts[0] === '') throw twinError(spec, 'wrong number of parts');
  const [shapePart, typePart] = parts;
  let shape: TwinShape;
  if (Object.hasOwn(NAMED_TWIN_SHAPES, shapePart)) shape = NAMED_TWIN_SHAPES[shapePart];
  else {
    const m = SHAPE_RE.exec(shapePart);
    if (!m) throw twinError(spec, `unknown shape ${JSON.stringify(shapePart)}`);
    const [dim, layers, heads, kvHeads, ffn] = m.slice(1, 6).map(Number);
    const vocab = m[6] === undefined ? STORIES260K_VOCAB : parseVocab(m[6]);
    if (typeof vocab === 'string') throw twinError(spec, vocab);
    shape = { dim, layers, heads, kvHeads, ffn, vocab };
  }
  const type = (typePart ?? 'f16') as TwinType;
  if (!(WEIGHT_TYPES as readonly string[]).includes(type) && !isKQuant(type))
    throw twinError(spec, `unknown type ${JSON.stringify(typePart)}`);
  const problem = twinShapeProblem(shape, type);
  if (problem) throw twinError(spec, problem);
  const explicit = shapeString(shape);
  // A custom shape is named in its canonical spelling (`-v512`, the default, dropped), so it is one file, byte for byte.
  const named = Object.hasOwn(NAMED_TWIN_SHAPES, shapePart) ? shapePart : explicit;
  return { kind: 'twin', name: `twin:${named}:${type}`, canonical: `twin:${explicit}:${type}`, shapeString: explicit, shape, type };
}

function derivedError(spec: string, why: string): TrbenchError {
  return new TrbenchError(
    `bad model spec ${JSON.stringify(spec)}: ${why}; expected stories260K[:layers=<i,j,...>][:<type>] with layers ascending in ` +
      `0..${STORIES260K_SHAPE.layers - 1} and <type> one of ${WEIGHT_TYPES.join(', ')}`,
  );
}

function parseDerived(spec: string): DerivedSpec {
  let layers: number[] | null = null;
  let type: WeightType | null = null;
  for (const part of spec.slice('stories260K:'.length).split(':')) {
    if (part.startsWith('layers=')) {
      if (layers) throw derivedError(spec, 'layers given twice');
      const list = part.slice('layers='.length).split(',');
      if (list.some((x) => !/^\d+$/.test(x))) throw derivedError(spec, `bad layer list ${JSON.stringify(part)}`);
      layers = list.map(Number);
      for (let i = 0; i < layers.length; i++) {
        if (layers[i] >= STORIES260K_SHAPE.layers) throw derivedError(spec, `layer ${layers[i]} does not exist`);
        if (i > 0 && layers[i] <= layers[i - 1]) throw derivedError(spec, 'layers must be strictly ascending');
      }
    } else if ((WEIGHT_TYPES as readonly string[]).includes(part)) {
      if (type) throw derivedError(spec, 'type given twice');
      type = part as WeightType;
    } else {
      throw derivedError(spec, `unknown part ${JSON.stringify(part)}`);
    }
  }
  const canonical = ['stories260K', ...(layers ? [`layers=${layers.join(',')}`] : []), ...(type ? [type] : [])].join(':');
  return { kind: 'derived', canonical, layers, type };
}

/**
 * Parses the model specs trbench builds itself: `twin:<shape>[:<type>]` and `stories260K:<modifiers>`.
 * Returns null for anything else (a known name, a path, an `hf:` URI), which `resolveModel` handles.
 */
export function parseModelSpec(spec: string): ParsedModelSpec | null {
  if (spec.startsWith('twin:')) return parseTwin(spec);
  if (spec.startsWith('stories260K:')) return parseDerived(spec);
  return null;
}
