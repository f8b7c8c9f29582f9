import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings for every package: generous timeouts for end-to-end tests on the real model,
 * and a JSON report per package that `scripts/test.mjs` sums into the one-line CI summary.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
