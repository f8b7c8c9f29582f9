import { type PhaseProgress, phaseProgress } from '@trbench/assets';
import { Datastore } from '@trbench/baselines';
import type { TuneProgressFactory } from '@trbench/token-recycling';

/** The tuner's phases drawn by the one phase progress (bar on a terminal, a line every ~10 s otherwise). */
export function tuneProgress(prefix: string, stream: NodeJS.WritableStream = process.stderr): TuneProgressFactory {
  return (label, total, unit) => phaseProgress(prefix ? `${prefix} ${label}` : label, total, { unit, stream });
}

/** Runs `work` under a phase's progress, which stops whatever happens. */
export async function withPhase<T>(progress: PhaseProgress, work: (progress: PhaseProgress) => Promise<T>): Promise<T> {
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

/**
 * Builds a REST datastore with progress (suffixes told apart by the suffix array's doubling rounds) and
 * stops between rounds on `signal`.
 */
export function buildDatastore(
  documents: readonly ArrayLike<number>[],
  vocabSize: number,
  modelSha256: string,
  signal: AbortSignal | undefined,
  prefix: string,
): Promise<Datastore> {
  const tokens = documents.reduce((a, d) => a + d.length, 0);
  const label = `${prefix ? `${prefix} ` : ''}datastore suffix array`;
  return withPhase(phaseProgress(label, tokens, { unit: 'suffixes sorted' }), (progress) =>
    Datastore.buildAsync(documents, vocabSize, modelSha256, { signal, onRound: (sorted) => progress.update(sorted) }),
  );
}
