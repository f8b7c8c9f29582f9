import cliProgress from 'cli-progress';
import type { WriteProgress } from './gguf-stream.ts';

/**
 * A duration as `45s`, `3m05s` or `1h02m`. The value is rounded to whole seconds (minutes above an
 * hour) before it is split, so 59.6 s reads `1m00s`, never `60s` or `1m60s`.
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Seconds between two progress lines on a non-interactive stream (CI, a log file): 10, or
 * `TRBENCH_PROGRESS_EVERY` (tests shorten it).
 */
export function progressLineSeconds(): number {
  const raw = Number(process.env.TRBENCH_PROGRESS_EVERY);
  return Number.isFinite(raw) && raw > 0 ? raw : 10;
}

/** Whether progress goes to `stream` as a redrawn bar (an interactive terminal outside CI) or as lines. */
export function interactive(stream: NodeJS.WritableStream): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true && !process.env.CI;
}

/** Progress of one long phase (a tuning round, a corpus, a model being written). */
export interface PhaseProgress {
  /** `done` of the phase's units are finished; `detail` says what runs now. */
  update(done: number, detail?: string): void;
  /** A line that stays (printed above the bar on a terminal). */
  line(text: string): void;
  /** Ends the phase: removes the bar, stops the line timer. Safe to call twice. */
  stop(): void;
}

export interface PhaseProgressOptions {
  /** What a unit is, plural (`prompts`, `MB`). */
  unit: string;
  stream?: NodeJS.WritableStream;
  /** Seconds left, when the phase knows better than the linear estimate from units done so far. */
  eta?: () => number | null;
  /** Extra text after the counts, e.g. a rate. */
  extra?: () => string;
}

/**
 * Progress of a phase of `total` units with an ETA: a bar on an interactive terminal, otherwise one line
 * when the phase starts and then one every {@link progressLineSeconds} (from a timer, so a slow unit still
 * shows signs of life, provided the work yields to the event loop). The default ETA is linear in the
 * units done so far.
 */
export function phaseProgress(label: string, total: number, options: PhaseProgressOptions): PhaseProgress {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  let done = 0;
  let detail = '';
  const elapsed = () => (performance.now() - started) / 1000;
  const eta = () => {
    const given = options.eta?.();
    if (given !== undefined && given !== null) return given;
    return done > 0 ? (elapsed() * (total - done)) / done : null;
  };
  const extra = () => {
    const e = options.extra?.();
    return e ? `, ${e}` : '';
  };
  if (interactive(stream)) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: `${label} {bar} {value}/{total} ${options.unit}{extra} | ETA {etaText} | {detail}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { etaText: '…', detail: '', extra: '' });
    let stopped = false;
    return {
      update: (n, text) => {
        done = n;
        if (text !== undefined) detail = text;
        bar.update(Math.min(n, total), { etaText: formatDuration(eta()), detail, extra: extra() });
      },
      line: (text) => {
        // cli-progress has no log on a SingleBar: clear the line, write, let the next redraw restore it.
        (stream as NodeJS.WriteStream).clearLine?.(0);
        (stream as NodeJS.WriteStream).cursorTo?.(0);
        stream.write(`${text}\n`);
        bar.render();
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        bar.stop();
      },
    };
  }
  const say = () => {
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
    stream.write(
      `${label}: ${done}/${total} ${options.unit}${pct}${extra()}, ${formatDuration(elapsed())} elapsed, ETA ${formatDuration(eta())}${detail ? ` · ${detail}` : ''}\n`,
    );
  };
  say();
  const timer = setInterval(say, progressLineSeconds() * 1000);
  timer.unref();
  return {
    update: (n, text) => {
      done = n;
      if (text !== undefined) detail = text;
    },
    line: (text) => stream.write(`${text}\n`),
    stop: () => clearInterval(timer),
  };
}

/**
 * Progress of a model being generated, on stderr: bytes written with MB/s and ETA, as a bar on an
 * interactive terminal, otherwise one line every ~10 s (see {@link phaseProgress}).
 */
export function generationProgress(label: string, stream: NodeJS.WriteStream = process.stderr): GenerationProgress {
  const mb = (b: number) => b / 1e6;
  let phase: PhaseProgress | null = null;
  let started = 0;
  let bytes = 0;
  const report = (done: number, total: number) => {
    if (!phase) {
      started = performance.now();
      phase = phaseProgress(`writing ${label}`, Math.ceil(mb(total)), {
        unit: 'MB',
        stream,
        extra: () => `${(mb(bytes) / Math.max((performance.now() - started) / 1000, 1e-3)).toFixed(0)} MB/s`,
      });
    }
    bytes = done;
    phase.update(Math.floor(mb(done)));
    if (done >= total) phase.stop();
  };
  return Object.assign(report, { stop: () => phase?.stop() });
}

/** Write progress that can also be ended early (the writing stopped). */
export type GenerationProgress = WriteProgress & { stop(): void };
