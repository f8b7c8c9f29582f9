import { describe, expect, it } from 'vitest';
import { EtaEstimator, formatDuration } from './eta.ts';

describe('formatDuration', () => {
  it('never prints 60 seconds or 60 minutes', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(119.5)).toBe('2m00s');
    expect(formatDuration(1259.7)).toBe('21m00s');
    expect(formatDuration(395)).toBe('6m35s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(7170)).toBe('2h00m');
    expect(formatDuration(3725)).toBe('1h02m');
    for (let s = 0; s < 8000; s += 0.25) expect(formatDuration(s)).not.toMatch(/(^|[hm])60[ms]/);
  });

  it('shows an unknown duration as …', () => {
    expect(formatDuration(null)).toBe('…');
    expect(formatDuration(Number.NaN)).toBe('…');
  });
});

describe('EtaEstimator', () => {
  it('weighs the questions left by each method’s measured time per token', () => {
    const eta = new EtaEstimator(
      new Map([
        ['ar', 3],
        ['tr', 3],
      ]),
    );
    expect(eta.seconds()).toBeNull();
    eta.record('ar', 100, 100); // 1 ms/token
    expect(eta.seconds()).toBeNull(); // tr has not run yet
    eta.record('tr', 100, 1000); // 10 ms/token
    // 2 questions left each, 100 tokens per question: 2·100·1 + 2·100·10 ms
    expect(eta.seconds()).toBeCloseTo(2.2, 12);
    eta.record('ar', 300, 300);
    eta.record('tr', 300, 3000);
    // mean 200 tokens per question now: 1·200·1 + 1·200·10 ms
    expect(eta.seconds()).toBeCloseTo(2.2, 12);
    eta.record('ar', 0, 5);
    eta.record('tr', 0, 5);
    expect(eta.seconds()).toBe(0);
  });
});
