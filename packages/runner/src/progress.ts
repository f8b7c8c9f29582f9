import cliProgress from 'cli-progress';

/** Where a sweep reports what it is doing. */
export interface Progress {
  /** `total` recorded questions planned, `done` of them already in the record file. */
  start(total: number, done: number): void;
  /** What runs now (method variant, dataset, question). */
  status(text: string): void;
  /** One question recorded. */
  advance(): void;
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

/** A progress bar with ETA and the current method/question, kept at the bottom of an interactive terminal. */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} questions | ETA {eta_formatted} | {status}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 40,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | null = null;
  return {
    start: (total, done) => {
      bar = multi.create(total, done, { status: 'starting' });
    },
    status: (text) => bar?.update({ status: text }),
    advance: () => bar?.increment(1),
    line: (text) => multi.log(`${text}\n`),
    stop: () => multi.stop(),
  };
}

/** The bar on an interactive terminal; plain lines in CI (`CI` set) or when stderr is not a terminal. */
export function defaultProgress(): Progress {
  return process.stderr.isTTY && !process.env.CI ? barProgress(process.stderr) : lineProgress(process.stderr);
}
