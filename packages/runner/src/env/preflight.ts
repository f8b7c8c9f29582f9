import { DecodeLoop, type TargetModel, TrbenchError } from '@trbench/core';
import type { ModelSetup, SweepConfig } from '../config/load.ts';

/**
 * Opens each model and creates every variant's drafter once, before anything is written, so that what
 * only a factory can check (a datastore file, a saved matrix, a draft too large for the model) fails
 * with the config's name and field instead of leaving a half-made run behind.
 */
export async function preflight(
  config: SweepConfig,
  open: (model: ModelSetup, signal?: AbortSignal) => Promise<TargetModel>,
  signal?: AbortSignal,
): Promise<void> {
  for (const setup of config.models) {
    let model: TargetModel;
    try {
      model = await open(setup, signal);
    } catch (err) {
      if (err instanceof TrbenchError) throw new TrbenchError(`${config.display}: models: ${setup.id}: ${err.message}`, { cause: err });
      throw err;
    }
    try {
      for (const variant of config.variants) {
        try {
          const drafter = await variant.spec.create(variant.params, {
            vocabSize: model.info.vocabSize,
            modelSha256: setup.resolved.sha256,
            modelName: setup.resolved.name,
            model,
            modelSpec: setup.spec,
            sampled: setup.sampling !== undefined,
            signal,
          });
          try {
            new DecodeLoop(model, drafter);
          } finally {
            drafter.dispose?.();
          }
        } catch (err) {
          if (err instanceof TrbenchError)
            throw new TrbenchError(`${config.display}: ${variant.source}.params: ${variant.id} on ${setup.id}: ${err.message}`, {
              cause: err,
            });
          throw err;
        }
      }
    } finally {
      model.dispose();
    }
  }
}
