import { InterruptedError } from '@trbench/core';

/** Exit status of a command stopped by a signal: 128 + the signal's number, as shells report it. */
export const INTERRUPT_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** How long a stopped command may take to exit on its own before it is ended (a handle left open). */
const EXIT_GRACE_MS = 2000;

/** How often a command started by npm checks that its parent is still there. */
const PARENT_POLL_MS = 200;

/**
 * Whether trbench watches its parent process: when it was started by npm (`npx trbench …`, `npm run …`: npm
 * puts `npm_execpath` in its scripts' environment), unless `TRBENCH_WATCH_PARENT` says otherwise (`1` / `0`).
 * Started another way (a shell, `nohup … &`, a service) its parent may go away on purpose.
 */
export function watchesParent(env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env.TRBENCH_WATCH_PARENT;
  if (forced === '1' || forced === '0') return forced === '1';
  return env.npm_execpath !== undefined;
}

/**
 * The one place trbench handles SIGINT and SIGTERM, for the duration of a command. The first signal
 * aborts `signal` with an {@link InterruptedError}: long loops (decoding, tuning, sampling, model writing)
 * check it at their next step, unwind through their `finally` blocks (run lock released, models disposed,
 * temporary files removed) and the command reports it with {@link InterruptScope.report}. A second
 * signal exits at once.
 *
 * Started by npm ({@link watchesParent}), a command also stops as on SIGTERM when its parent process goes
 * away: `kill -TERM <npx pid>` ends npm at once (it forwards the signal to its child, the shell that runs
 * trbench, which dies of it on dash) and trbench would otherwise run on as an orphan holding its run lock.
 * SIGINT to npm reaches trbench only when npm's script shell execs it (bash does; the repository's `.npmrc`
 * picks bash): dash defers a SIGINT until its child ends, and nothing of it is visible from here.
 */
export class InterruptScope {
  private readonly controller = new AbortController();
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  private parentWatch: ReturnType<typeof setInterval> | null = null;

  constructor(options: { watchParent?: boolean; pollMs?: number } = {}) {
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => {
        if (this.controller.signal.aborted) process.exit(INTERRUPT_EXIT_CODES[name]);
        this.controller.abort(new InterruptedError(name));
      };
      process.on(name, handler);
      this.handlers.push([name, handler]);
    }
    const parent = process.ppid;
    // Already an orphan (or started by init): there is no parent to lose.
    if ((options.watchParent ?? watchesParent()) && parent > 1) {
      this.parentWatch = setInterval(() => {
        if (process.ppid === parent || this.controller.signal.aborted) return;
        this.controller.abort(new InterruptedError('SIGTERM'));
      }, options.pollMs ?? PARENT_POLL_MS);
      this.parentWatch.unref();
    }
  }

  /** Aborted by the first SIGINT or SIGTERM; its reason is the InterruptedError to throw. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The interruption behind `err`, if the command stopped because of a signal. */
  interruption(err: unknown): InterruptedError | null {
    if (err instanceof InterruptedError) return err;
    // Work that failed in another way while it was being stopped (a handle closed under it) counts as stopped.
    const reason: unknown = this.controller.signal.reason;
    return this.controller.signal.aborted && reason instanceof InterruptedError ? reason : null;
  }

  /**
   * Prints the one line about an interruption (what ran, what was kept), sets the exit status (130 for
   * SIGINT, 143 for SIGTERM) and makes sure the process ends soon even if a handle stays open.
   */
  report(interruption: InterruptedError, stream: NodeJS.WritableStream = process.stderr): void {
    stream.write(`${interruptionLine(interruption)}\n`);
    const code = INTERRUPT_EXIT_CODES[interruption.signal] ?? 130;
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  }

  /** Removes the handlers: the default behaviour of both signals applies again. */
  dispose(): void {
    if (this.parentWatch) clearInterval(this.parentWatch);
    this.parentWatch = null;
    for (const [name, handler] of this.handlers) process.off(name, handler);
    this.handlers.length = 0;
  }
}

/** `trbench: interrupted (SIGINT) while tuning …; kept …`. */
export function interruptionLine(interruption: InterruptedError): string {
  const during = interruption.during ? ` while ${interruption.during}` : '';
  return `trbench: interrupted (${interruption.signal})${during}; ${interruption.kept ?? 'nothing was written'}`;
}
