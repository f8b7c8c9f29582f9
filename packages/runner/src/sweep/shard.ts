import { TrbenchError } from '@trbench/core';

/**
 * Sharding a sweep over machines. The unit of work is a (model, dataset question) with all its variants
 * and repeats, so a speedup is always a ratio of two measurements made on the same machine.
 *
 * Assignment rule (contiguous blocks): list every (model, dataset, question) of the plan in plan order
 * (models, then datasets, then questions in the dataset's order) and number them j = 0 … T−1; item j goes
 * to shard ⌊j·N/T⌋ + 1. Each shard thus gets one contiguous block of ⌊T/N⌋ or ⌈T/N⌉ items, and inside one
 * (model, dataset) a contiguous range of questions [start, end). Contiguous blocks (rather than
 * round-robin) keep the replay short: a stateful drafter must first replay, unrecorded, the questions of
 * its dataset before `start`, and with round-robin every shard would replay nearly the whole dataset.
 */

/** Which part of the plan a run covers: shard `index` of `count` (1-based). */
export interface ShardSpec {
  index: number;
  count: number;
  /** Where the numbers came from, e.g. `--shard 2/4` or `SLURM_ARRAY_TASK_ID=1 (…)`. */
  source: string;
}

/** The questions of one (model, dataset) that a shard records: indices [start, end) of the dataset's questions. */
export interface ShardRange {
  start: number;
  end: number;
}

/** The rule, written into run.json so a run folder explains itself. */
export const SHARD_RULE = 'contiguous blocks of (model, dataset question) in plan order: item j of T goes to shard floor(j*N/T)+1';

function intOf(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*-?\d+\s*$/.test(raw)) throw new TrbenchError(`${name}=${JSON.stringify(raw)}: expected an integer`);
  return Number(raw);
}

function checked(index: number, count: number, source: string): ShardSpec {
  if (!Number.isInteger(count) || count < 1) throw new TrbenchError(`${source}: shard count must be an integer >= 1 (got ${count})`);
  if (!Number.isInteger(index) || index < 1 || index > count) throw new TrbenchError(`${source}: shard ${index} is outside 1..${count}`);
  return { index, count, source };
}

/**
 * Parses `--shard I/N` (1-based) or `--shard auto`. `auto` reads, in this order of preference:
 * - SLURM array jobs: `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_COUNT` (or
 *   `SLURM_ARRAY_TASK_MAX`, and `SLURM_ARRAY_TASK_STEP` when not 1): shard = (ID − MIN) / STEP + 1. Without
 *   MIN the IDs are taken as 0-based (`--array=0-N-1`).
 * - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based) with `--shard-count N` (Kubernetes does not
 *   put the completion count in the pod's environment): shard = index + 1.
 * Both present at once is refused as ambiguous. `shardCount`, when given with SLURM, must agree with it.
 */
export function parseShard(raw: string, env: NodeJS.ProcessEnv = process.env, shardCount?: number): ShardSpec {
  const text = raw.trim();
  if (text !== 'auto') {
    const m = /^(\d+)\/(\d+)$/.exec(text);
    if (!m) throw new TrbenchError(`--shard ${JSON.stringify(raw)}: expected I/N (1-based, e.g. 2/8) or auto`);
    if (shardCount !== undefined) throw new TrbenchError('--shard-count goes with --shard auto (I/N already says the count)');
    return checked(Number(m[1]), Number(m[2]), `--shard ${text}`);
  }
  const slurmId = intOf('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID);
  const k8sIndex = intOf('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX);
  if (slurmId !== undefined && k8sIndex !== undefined)
    throw new TrbenchError('--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; pass --shard I/N');
  if (slurmId !== undefined) {
    const min = intOf('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN);
    const max = intOf('SLURM_ARRAY_TASK_MAX', env.SLURM_ARRAY_TASK_MAX);
    const step = intOf('SLURM_ARRAY_TASK_STEP', env.SLURM_ARRAY_TASK_STEP) ?? 1;
    const taskCount = intOf('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT);
    if (step < 1) throw new TrbenchError(`SLURM_ARRAY_TASK_STEP=${step}: expected >= 1`);
    const base = min ?? 0;
    const span = min !== undefined && max !== undefined ? (max - min) / step + 1 : undefined;
    if (span !== undefined && !Number.isInteger(span))
      throw new TrbenchError(`SLURM array ${min}-${max}:${step} is not a whole number of steps; pass --shard I/N`);
    if (taskCount !== undefined && span !== undefined && taskCount !== span)
      throw new TrbenchError(
        `SLURM_ARRAY_TASK_COUNT=${taskCount} but MIN..MAX:STEP = ${min}..${max}:${step} spans ${span} tasks: ` +
          'a non-contiguous array (e.g. --array=1,3,7) cannot be mapped to shards; use a range, or pass --shard I/N',
      );
    const count = taskCount ?? span;
    if (count === undefined)
      throw new TrbenchError(
        '--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX is; pass --shard I/N',
      );
    if ((slurmId - base) % step !== 0)
      throw new TrbenchError(`SLURM_ARRAY_TASK_ID=${slurmId} is not on the array's step ${step} from ${base}`);
    const vars = [`SLURM_ARRAY_TASK_ID=${slurmId}`];
    if (min !== undefined) vars.push(`SLURM_ARRAY_TASK_MIN=${min}`);
    if (taskCount !== undefined) vars.push(`SLURM_ARRAY_TASK_COUNT=${taskCount}`);
    else vars.push(`SLURM_ARRAY_TASK_MAX=${max}`);
    if (step !== 1) vars.push(`SLURM_ARRAY_TASK_STEP=${step}`);
    const spec = checked((slurmId - base) / step + 1, count, vars.join(' '));
    if (shardCount !== undefined && shardCount !== count)
      throw new TrbenchError(`--shard-count ${shardCount} disagrees with the SLURM array's ${count} tasks (${spec.source})`);
    return spec;
  }
  if (k8sIndex !== undefined) {
    if (shardCount === undefined)
      throw new TrbenchError(
        `--shard auto: JOB_COMPLETION_INDEX=${k8sIndex} (Kubernetes Indexed Job) needs --shard-count N (the Job's completions)`,
      );
    return checked(k8sIndex + 1, shardCount, `JOB_COMPLETION_INDEX=${k8sIndex} --shard-count ${shardCount}`);
  }
  throw new TrbenchError(
    '--shard auto: found neither SLURM_ARRAY_TASK_ID (SLURM array job) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job); pass --shard I/N',
  );
}

/** Key of a (model, dataset) pair in shard ranges. */
export function pairKey(model: string, dataset: string): string {
  return JSON.stringify([model, dataset]);
}

/**
 * The question range each (model, dataset) gets in shard `index` of `count`, by the contiguous-block rule
 * above. `datasets` lists each dataset's question count, in plan order. Every pair of the plan is present
 * (an empty range when the shard has none of its questions).
 */
export function shardRanges(
  models: readonly string[],
  datasets: readonly { id: string; questions: number }[],
  index: number,
  count: number,
): Map<string, ShardRange> {
  const total = models.length * datasets.reduce((s, d) => s + d.questions, 0);
  // Items j with floor(j*count/total) = index-1, i.e. j in [ceil((index-1)*total/count), ceil(index*total/count)).
  const lo = Math.ceil(((index - 1) * total) / count);
  const hi = Math.ceil((index * total) / count);
  const ranges = new Map<string, ShardRange>();
  let offset = 0;
  for (const model of models) {
    for (const d of datasets) {
      const start = Math.min(Math.max(lo - offset, 0), d.questions);
      const end = Math.max(Math.min(hi - offset, d.questions), start);
      ranges.set(pairKey(model, d.id), { start, end });
      offset += d.questions;
    }
  }
  return ranges;
}

/** The default run folder name of a shard: `<name>.shard-02-of-16` (zero-padded, so folders sort by index). */
export function shardRunName(name: string, spec: Pick<ShardSpec, 'index' | 'count'>): string {
  const width = String(spec.count).length;
  return `${name}.shard-${String(spec.index).padStart(width, '0')}-of-${spec.count}`;
}
