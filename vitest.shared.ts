import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings for every package: a JSON report per package that `scripts/test.mjs` sums into
 * the one-line CI summary, and each test printed as it finishes (with the proofs' own progress lines), so a
 * long file is never silent. End-to-end tests on the real model are sized to fit a loaded 2-core machine
 * (`proofScale`, the full suites run in `npm run test:lossless`); the timeouts only catch hangs.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two files at once: the slowest package's proofs then share the machine instead of queueing.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ['verbose', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
