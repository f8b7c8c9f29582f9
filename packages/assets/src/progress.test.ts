import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDuration, phaseProgress } from './progress.ts';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write: (chunk, _e, cb) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

describe('phaseProgress on a non-terminal', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('prints a line when the phase starts and one every 10 s after, with counts, ETA and what runs now', () => {
    vi.useFakeTimers();
    vi.stubEnv('TRBENCH_PROGRESS_EVERY', '');
    const { stream, lines } = sink();
    const p = phaseProgress('[tune] calibration', 24, { unit: 'prompts', stream });
    expect(lines).toEqual(['[tune] calibration: 0/24 prompts (0%), 0s elapsed, ETA …']);
    p.update(6, 'prompt 7/24, tree 111 nodes');
    vi.advanceTimersByTime(9_999);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines[1]).toBe('[tune] calibration: 6/24 prompts (25%), 10s elapsed, ETA 30s · prompt 7/24, tree 111 nodes');
    p.line('calibration MAT 2.5');
    p.stop();
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('calibration MAT 2.5');
  });

  it('takes the phase’s own ETA when it has one', () => {
    vi.useFakeTimers();
    const { stream, lines } = sink();
    const p = phaseProgress('x', 10, { unit: 'runs', stream, eta: () => 125 });
    p.stop();
    expect(lines[0]).toContain(`ETA ${formatDuration(125)}`);
  });
});
