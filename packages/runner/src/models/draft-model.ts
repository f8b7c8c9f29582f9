import { readGgufIdentity, resolveModel } from '@trbench/assets';
import { type TargetModel, TrbenchError } from '@trbench/core';
import { type BackendName, openModel, parseBackend } from './open-model.ts';

/** The prefix of a self-speculation draft: the target with a subset of its layers. */
export const SELF_PREFIX = 'self:';

export interface DraftModelRequest {
  /** `--draft-model`: any model spec, or `self:layers=…`. */
  spec: string;
  /** The spec the target was resolved from (self-speculation derives its draft from it). */
  targetSpec: string | undefined;
  target: TargetModel;
  /** Default: the target's backend. */
  backend?: BackendName;
  /** CPU threads of the draft model (default 1). */
  threads?: number;
  maxDraftNodes: number;
  topK: number;
  /** Requests sample: the draft must expose its logits. */
  sampled: boolean;
  /** Stops the writing of a derived draft model (`self:layers=…`) between tensors. */
  signal?: AbortSignal;
}

/**
 * Whether a draft model computes the target's function — an oracle draft, not a real one: both hold the same
 * source weights (the same file, twins of the same source, or a twin and its source; a twin computes its
 * source's function up to its own precision). Its acceptance is what a perfect cheap draft would give, so
 * reports name it. A quantized or layer-dropped copy (`stories260K:q8_0`, `self:layers=…`) is a model of
 * its own (`trbench.derived.from`, its own sha256) and is not one.
 */
export function isOracleDraft(target: { path: string; sha256: string }, draft: { path: string; sha256: string }): boolean {
  const source = (m: { path: string; sha256: string }) => readGgufIdentity(m.path).twinSourceSha256 ?? m.sha256;
  return source(target) === source(draft);
}

/** The runner's backend name of an opened model (`onnxruntime` is opened as `onnx`). */
function backendOf(model: TargetModel): { backend: BackendName; device: string } {
  const b = model.backend;
  if (b.name === 'onnxruntime') return { backend: 'onnx', device: b.device };
  return { backend: parseBackend(b.name), device: b.device === 'cpu' ? 'cpu' : b.device.split(' ')[0] };
}

/**
 * The model spec of a draft: `self:layers=0,1,2` becomes the target's own spec with `:layers=0,1,2`
 * (a layer-subset copy written into the cache); anything else is a model spec as is.
 */
export function draftSpecOf(spec: string, targetSpec: string | undefined): string {
  if (!spec.startsWith(SELF_PREFIX)) return spec;
  const rest = spec.slice(SELF_PREFIX.length);
  if (!/^layers=\d+(,\d+)*$/.test(rest))
    throw new TrbenchError(
      `--draft-model ${spec}: expected self:layers=<i,j,...> (the target's layers the draft keeps, e.g. self:layers=0,1,2)`,
    );
  if (!targetSpec) throw new TrbenchError(`--draft-model ${spec} needs the target's model spec, which is not known here`);
  // Layer subsets are built from stories260K's source (the assets' derived specs); other targets have none.
  if (targetSpec !== 'stories260K' && !targetSpec.startsWith('stories260K:'))
    throw new TrbenchError(
      `--draft-model ${spec}: self-speculation needs a stories260K target (a derived spec stories260K:…), got ${targetSpec}`,
    );
  if (targetSpec.includes(':layers=')) throw new TrbenchError(`--draft-model ${spec}: the target ${targetSpec} is already a layer subset`);
  return `${targetSpec}:${rest}`;
}

/**
 * Opens the draft model of `sps` on the target's backend (or the one asked for), with the target's
 * context length and one thread unless told otherwise, after checking what can be checked from the files alone: the draft shares
 * the target's tokenizer, and self-speculation is not asked of a twin (its extra layers are identity, so
 * dropping them would be free and exact: a speedup no real model can have).
 */
export async function openDraftModel(req: DraftModelRequest): Promise<{ model: TargetModel; spec: string; sha256: string }> {
  const { target } = req;
  const self = req.spec.startsWith(SELF_PREFIX);
  const targetIdentity = readGgufIdentity(target.info.path);
  if (self && targetIdentity.twinShape !== null) {
    throw new TrbenchError(
      `--draft-model ${req.spec} refused: the target ${target.info.name} is a twin (${targetIdentity.twinShape}) whose extra layers are identity, ` +
        'so a layer-dropped draft would compute the same function for free; use another draft model (e.g. stories260K) on twins',
    );
  }
  const spec = draftSpecOf(req.spec, req.targetSpec);
  const resolved = await resolveModel(spec, { signal: req.signal });
  const draftIdentity = readGgufIdentity(resolved.path);
  if (draftIdentity.vocabSize !== targetIdentity.vocabSize || draftIdentity.tokenizerSha256 !== targetIdentity.tokenizerSha256) {
    throw new TrbenchError(
      `draft model ${spec} (${draftIdentity.vocabSize} tokens, tokenizer ${draftIdentity.tokenizerSha256.slice(0, 12)}) does not share ` +
        `the tokenizer of the target ${target.info.name} (${targetIdentity.vocabSize} tokens, tokenizer ${targetIdentity.tokenizerSha256.slice(0, 12)})`,
    );
  }
  const own = backendOf(target);
  const backend = req.backend ?? own.backend;
  // By spec, so the draft carries its canonical name (the file is the one resolved above, from the cache).
  const { model } = await openModel({
    model: spec,
    backend,
    // A small draft gains nothing from threads, and a second thread pool spinning beside the target's
    // starves both on a small machine (measured: 300 ms per 1-token draft forward next to a 2-thread twin).
    threads: req.threads ?? 1,
    device: backend === own.backend ? own.device : undefined,
    maxDraftNodes: req.maxDraftNodes,
    topK: req.topK,
    contextSize: target.info.contextSize,
    exposeLogits: req.sampled,
    signal: req.signal,
  });
  return { model, spec, sha256: resolved.sha256 };
}
