import type { DatasetSetup, ModelSetup, SweepConfig, Variant } from './config/load.ts';

/**
 * One method variant run through one dataset on one model in one repeat: a fresh drafter, the warm-up,
 * then every question in order. Stateful drafters (TR's hot-start matrix) carry state from question to
 * question inside a unit and never across units.
 */
export interface Unit {
  key: string;
  model: ModelSetup;
  dataset: DatasetSetup;
  repeat: number;
  variant: Variant;
}

/** Key of a unit (JSON, so ids with any characters stay unambiguous). */
export function unitKey(model: string, dataset: string, repeat: number, variant: string): string {
  return JSON.stringify([model, dataset, repeat, variant]);
}

/**
 * The units of a sweep in execution order: model, dataset, repeat, then variant with AR first, so that
 * every method's record can be compared with the AR record of the same question as soon as it is made.
 */
export function planUnits(config: SweepConfig): Unit[] {
  const units: Unit[] = [];
  for (const model of config.models) {
    for (const dataset of config.datasets) {
      for (let repeat = 0; repeat < config.repeats; repeat++) {
        for (const variant of config.variants) {
          if (variant.datasets && !variant.datasets.includes(dataset.id)) continue;
          units.push({ key: unitKey(model.id, dataset.id, repeat, variant.id), model, dataset, repeat, variant });
        }
      }
    }
  }
  return units;
}
