import type { Draft, Drafter, Predictions, RequestLimits, SamplingOptions, TokenHistory } from '@trbench/core';
import { ForwardingDrafter } from './forwarding-drafter.ts';

/** CPU time of this process so far, in ms (user + system). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * A drafter that behaves exactly like `inner` (same drafts, so the same tokens and MAT) but makes every
 * step cost `fraction` more CPU work, as slower code would: each step's CPU time (from one `propose` to
 * the next, or to `endRequest` for the last step of a request; its own waiting excluded) adds
 * `fraction` × that time to a debt, which the next `propose` pays by busy-waiting on the process CPU
 * clock. Waiting on CPU time rather than the wall clock keeps the injected work exact on a loaded machine:
 * a wall-clock wait that is preempted overshoots (by a scheduler slice, several times the wait itself),
 * and what one wait overshoots the next one pays back. Prefill is not slowed.
 */
export class SlowDrafter extends ForwardingDrafter {
  private lastStart = -1;
  private lastWait = 0;
  /** CPU ms still to burn (negative: paid ahead). */
  private owed = 0;
  /** Totals, for checking the injected fraction: CPU ms of the steps measured and of the waits. */
  stepCpuMs = 0;
  waitCpuMs = 0;

  constructor(
    inner: Drafter,
    private readonly fraction: number,
  ) {
    super(inner);
  }

  private charge(now: number): void {
    if (this.lastStart < 0) return;
    const step = now - this.lastStart - this.lastWait;
    this.stepCpuMs += step;
    this.owed += this.fraction * step;
    this.lastStart = -1;
  }

  override beginRequest(
    history: TokenHistory,
    promptPredictions: Predictions | null,
    sampling?: SamplingOptions | null,
    limits?: RequestLimits,
  ): void {
    this.lastStart = -1;
    super.beginRequest(history, promptPredictions, sampling, limits);
  }

  override propose(history: TokenHistory, draft: Draft): void {
    const now = cpuMs();
    this.charge(now);
    let t = now;
    while (t - now < this.owed) t = cpuMs(); // busy wait: the step costs CPU and wall time
    this.owed -= t - now;
    this.waitCpuMs += t - now;
    this.lastWait = t - now;
    this.lastStart = now;
    super.propose(history, draft);
  }

  override endRequest(history: TokenHistory): void {
    this.charge(cpuMs());
    super.endRequest(history);
  }
}
