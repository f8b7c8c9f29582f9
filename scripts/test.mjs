#!/usr/bin/env node
// Runs every package's tests through turbo, then prints ONE line "N passed, N failed" for all packages
// together (CI reads that line, not vitest's per-package summaries). Exit code: non-zero when anything
// failed or a package produced no report.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = path.join(root, 'packages');
const packages = readdirSync(packagesDir).filter((p) => existsSync(path.join(packagesDir, p, 'package.json')));
const reportOf = (p) => path.join(packagesDir, p, '.test-results', 'vitest.json');
for (const p of packages) rmSync(reportOf(p), { force: true });

const turbo = spawnSync('npx', ['turbo', 'run', 'test', '--concurrency=2', '--continue', '--output-logs=full', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
});

let passed = 0;
let failed = 0;
const missing = [];
for (const p of packages) {
  const file = reportOf(p);
  if (!existsSync(file)) {
    missing.push(p);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A test file that fails to load counts as a failure even though it ran no test.
  failed += report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(turbo.status !== 0 || failed > 0 || missing.length > 0 ? 1 : 0);
