import type { DatasetSetup, ModelSetup, SweepConfig, Variant } from '../config/load.ts';
import { pairKey, type ShardRange } from './shard.ts';

/**
 * The record stream of one method variant on one dataset and model in one repeat: its own drafter, its
 * warm-up, then one record per question of its block. Stateful drafters (TR's hot-start matrix) carry
 * state from question to question inside a unit and never across units.
 */
export interface Unit {
  key: string;
  model: ModelSetup;
  dataset: DatasetSetup;
  repeat: number;
  variant: Variant;
}

/**
 * One model × dataset × repeat: the units of every variant that runs on the dataset, measured together.
 * Every unit gets its drafter and warm-up up front; then the questions run in order and, per question,
 * the variants run one after the other in a rotating order (`variantOrder`), so that drift of a shared
 * machine (another job starting, thermal throttling) hits every method alike and per-question ratios
 * against AR are paired measurements.
 */
export interface Block {
  key: string;
  model: ModelSetup;
  dataset: DatasetSetup;
  repeat: number;
  /** In config order, AR first when the config has it. */
  units: Unit[];
  /**
   * Positions in `dataset.questions` this block answers, ascending: all of them, or a shard's range
   * (`shardRanges`). Each unit records exactly these questions, in this order.
   */
  questions: number[];
}

/** Key of a unit (JSON, so ids with any characters stay unambiguous). */
export function unitKey(model: string, dataset: string, repeat: number, variant: string): string {
  return JSON.stringify([model, dataset, repeat, variant]);
}

/** Key of a block. */
export function blockKey(model: string, dataset: string, repeat: number): string {
  return JSON.stringify([model, dataset, repeat]);
}

/**
 * The blocks of a sweep in execution order: model, dataset, repeat. With `shard` (a shard's question
 * range per (model, dataset), `shardRanges`), each block answers only its range; blocks whose range is
 * empty are still listed (no questions), so unit keys are those of the whole plan.
 */
export function planBlocks(config: SweepConfig, shard?: ReadonlyMap<string, ShardRange>): Block[] {
  const blocks: Block[] = [];
  for (const model of config.models) {
    for (const dataset of config.datasets) {
      for (let repeat = 0; repeat < config.repeats; repeat++) {
        const units: Unit[] = [];
        for (const variant of config.variants) {
          if (variant.datasets && !variant.datasets.includes(dataset.id)) continue;
          units.push({ key: unitKey(model.id, dataset.id, repeat, variant.id), model, dataset, repeat, variant });
        }
        if (units.length === 0) continue;
        const range = shard?.get(pairKey(model.id, dataset.id)) ?? { start: 0, end: dataset.questions.length };
        const questions = Array.from({ length: range.end - range.start }, (_, i) => range.start + i);
        blocks.push({ key: blockKey(model.id, dataset.id, repeat), model, dataset, repeat, units, questions });
      }
    }
  }
  return blocks;
}

/** Every unit of the sweep: blocks in order, variants in config order inside each. */
export function planUnits(config: SweepConfig): Unit[] {
  return planBlocks(config).flatMap((b) => b.units);
}

/**
 * Order in which `count` variants run on the question at `questionIndex` (its position in the dataset):
 * a rotation by the index, so each variant runs first, second, … equally often over consecutive questions
 * and no method always runs right after another one's cache-warming. Deterministic, so a resumed run
 * keeps the order.
 */
export function variantOrder(count: number, questionIndex: number): number[] {
  const shift = count === 0 ? 0 : questionIndex % count;
  return Array.from({ length: count }, (_, i) => (i + shift) % count);
}
