import { interactive, progressLineSeconds } from '@trbench/assets';
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

/**
 * Progress as plain lines, for CI logs and redirected output: no bar, but one line per finished unit and,
 * every ~10 s (`progressLineSeconds`), where the sweep is with its ETA.
 */
export function lineProgress(stream: NodeJS.WritableStream = process.stderr): Progress {
  let total = 0;
  let done = 0;
  let status = '';
  let eta: EtaEstimator | null = null;
  let timer: NodeJS.Timeout | null = null;
  const say = () =>
    stream.write(`${done}/${total} question runs, ETA ${formatDuration(eta?.seconds() ?? null)}${status ? ` · ${status}` : ''}\n`);
  return {
    start: (planned, already, remaining) => {
      total = planned;
      done = already;
      eta = remaining ? new EtaEstimator(remaining) : null;
      stream.write(`${planned} question runs planned${already > 0 ? `, ${already} already recorded` : ''}\n`);
      timer = setInterval(say, progressLineSeconds() * 1000);
      timer.unref();
    },
    status: (text) => {
      status = text;
    },
    advance: (advance) => {
      done++;
      if (advance && eta) eta.record(advance.variant, advance.tokens, advance.ms);
    },
    line: (text) => stream.write(`${text}\n`),
    stop: () => {
      if (timer) clearInterval(timer);
      timer = null;
    },
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
  return interactive(process.stderr) ? barProgress(process.stderr) : lineProgress(process.stderr);
}
