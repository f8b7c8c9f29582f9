/**
 * Long work stopped from outside (Ctrl-C, SIGTERM, a caller's AbortSignal). Thrown by cooperative loops
 * at their next step; the CLI prints it as one line and exits 130 (SIGINT) or 143 (SIGTERM).
 */
export class InterruptedError extends Error {
  /** The signal that asked for the stop (`SIGINT`, `SIGTERM`), or `abort` for a plain AbortSignal. */
  readonly signal: string;
  constructor(signal = 'abort', options?: { cause?: unknown }) {
    super(`interrupted (${signal})`, options);
    this.name = 'InterruptedError';
    this.signal = signal;
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
