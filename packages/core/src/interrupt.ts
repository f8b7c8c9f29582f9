/**
 * Long work stopped from outside (Ctrl-C, SIGTERM, a caller's AbortSignal). Thrown by cooperative loops
 * at their next step; the CLI prints it as one line and exits 130 (SIGINT) or 143 (SIGTERM).
 */
export class InterruptedError extends Error {
  /** The signal that asked for the stop (`SIGINT`, `SIGTERM`), or `abort` for a plain AbortSignal. */
  readonly signal: string;
  /** What was running when it stopped (`tuning the TR tree: round 1`); the innermost layer that knows says it. */
  during: string | null = null;
  /** What the stop leaves behind (`12 records kept in …: rerun with --resume`). */
  kept: string | null = null;
  constructor(signal = 'abort', options?: { cause?: unknown }) {
    super(`interrupted (${signal})`, options);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
}

/**
 * Says what `work` was doing and what an interruption keeps, on an {@link InterruptedError} that passes
 * through it (an inner layer that already said so wins), and rethrows whatever it threw.
 */
export async function describeInterruption<T>(
  during: string | (() => string),
  kept: string | (() => string),
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InterruptedError) {
      err.during ??= typeof during === 'string' ? during : during();
      err.kept ??= typeof kept === 'string' ? kept : kept();
    }
    throw err;
  }
}

/** Throws the signal's InterruptedError (or wraps its reason in one) when it has been aborted. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof InterruptedError ? reason : new InterruptedError('abort', { cause: reason });
}

/** Lets timers and signal handlers run (one macrotask), then throws if `signal` was aborted meanwhile. */
export async function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  await nextMacrotask();
  throwIfInterrupted(signal);
}

/** One macrotask: timers, I/O callbacks and signal handlers queued meanwhile run first. */
function nextMacrotask(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** How long synchronous work may hold the event loop before a {@link Pacer} lets it run. */
export const DEFAULT_YIELD_MS = 50;

/**
 * Paces a synchronous loop that runs inside async code: `if (pacer.due()) await pacer.pause()` between
 * iterations hands the event loop a turn (signal handlers, a progress bar's redraw) at most every
 * `everyMs`, and stops the loop with {@link InterruptedError} once the signal is aborted. `pausedMs` is the
 * time spent away, so measured spans can leave it out. `due()` is a clock read: cheap enough per step.
 */
export class Pacer {
  private last = performance.now();
  /** Milliseconds spent in pauses so far. */
  pausedMs = 0;

  constructor(
    private readonly signal?: AbortSignal,
    private readonly everyMs = DEFAULT_YIELD_MS,
  ) {}

  /** True when the signal is aborted or `everyMs` passed since the last pause. */
  due(): boolean {
    return this.signal?.aborted === true || performance.now() - this.last >= this.everyMs;
  }

  /** Yields one macrotask; throws InterruptedError when the signal is aborted. */
  async pause(): Promise<void> {
    const t0 = performance.now();
    throwIfInterrupted(this.signal);
    await nextMacrotask();
    const t1 = performance.now();
    this.pausedMs += t1 - t0;
    this.last = t1;
    throwIfInterrupted(this.signal);
  }
}
