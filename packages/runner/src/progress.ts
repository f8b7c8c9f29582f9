import cliProgress from 'cli-progress';
import { EtaEstimator, formatDuration } from './eta.ts';

/** One recorded question: which variant, the tokens it generated and the time it took (ms). */
export interface Advance {
  variant: string;
  tokens: number;
  ms: number;
}

/** Where a sweep reports what it is doing. */
export interface Progress {
  /**
   * `total` recorded questions planned, `done` of them already in the record file; `remaining`: questions
   * still to record per method variant (for the ETA).
   */
  start(total: number, done: number, remaining?: ReadonlyMap<string, number>): void;
  /** What runs now (method variant, dataset, question). */
  status(text: string): void;
  /** One question recorded. */
  advance(done?: Advance): void;
  /** A line worth keeping: a finished unit, a replay, a warning. */
  line(text: string): void;
  stop(): void;
}

/** Progress as plain lines: for CI logs and redirected output (one line per finished unit, no bar). */
export function lineProgress(stream: NodeJS.WritableStream = process.stderr): Progress {
  return {
    start: (total, done) => stream.write(`${total} question runs planned${done > 0 ? `, ${done} already recorded` : ''}\n`),
    status: () => {},
    advance: () => {},
    line: (text) => stream.write(`${text}\n`),
    stop: () => {},
  };
}

/**
 * A progress bar with the current method/question and an ETA from measured time per token per method
 * (`EtaEstimator`; cli-progress's own ETA counts questions), kept at the bottom of an interactive terminal.
 */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} questions | ETA {etaText} | {status}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 40,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | null = null;
  let eta: EtaEstimator | null = null;
  // The estimate made at the last record, and when: between records the ETA counts down from it.
  let left: number | null = null;
  let leftAt = 0;
  const etaText = () => formatDuration(left === null ? null : Math.max(0, left - (performance.now() - leftAt) / 1000));
  return {
    start: (total, done, remaining) => {
      eta = remaining ? new EtaEstimator(remaining) : null;
      bar = multi.create(total, done, { status: 'starting', etaText: etaText() });
    },
    status: (text) => bar?.update({ status: text, etaText: etaText() }),
    advance: (done) => {
      if (done && eta) eta.record(done.variant, done.tokens, done.ms);
      left = eta?.seconds() ?? null;
      leftAt = performance.now();
      bar?.increment(1, { etaText: etaText() });
    },
    line: (text) => multi.log(`${text}\n`),
    stop: () => multi.stop(),
  };
}

/** The bar on an interactive terminal; plain lines in CI (`CI` set) or when stderr is not a terminal. */
export function defaultProgress(): Progress {
  return process.stderr.isTTY && !process.env.CI ? barProgress(process.stderr) : lineProgress(process.stderr);
}
