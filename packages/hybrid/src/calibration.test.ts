import { describe, expect, it } from 'vitest';
import { BUCKETS, Calibration, SRC_ROW } from './calibration.ts';

describe('Calibration', () => {
  it('moves an over-confident source towards its realised acceptance', () => {
    const c = new Calibration(true);
    expect(c.estimate(SRC_ROW, 0.95)).toBeCloseTo(0.95);
    for (let i = 0; i < 200; i++) c.record(SRC_ROW, Calibration.bucket(0.95), i % 4 === 0);
    expect(c.estimate(SRC_ROW, 0.95)).toBeGreaterThan(0.24);
    expect(c.estimate(SRC_ROW, 0.95)).toBeLessThan(0.3);
    // Other buckets and sources are untouched.
    expect(c.estimate(SRC_ROW, 0.35)).toBeCloseTo(0.35);
    expect(c.toJSON().row.tried[BUCKETS - 1]).toBe(200);
  });

  it('returns the raw value when switched off, and buckets clamp', () => {
    const c = new Calibration(false);
    c.record(SRC_ROW, 9, false);
    expect(c.estimate(SRC_ROW, 0.9)).toBe(0.9);
    expect(Calibration.bucket(1)).toBe(BUCKETS - 1);
    expect(Calibration.bucket(-1)).toBe(0);
  });
});
