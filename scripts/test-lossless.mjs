#!/usr/bin/env node
// The full losslessness proofs on the real model: every test file that sizes itself with `proofScale`
// (from @trbench/core/testing) or through the runner's `describeRegistryProof` runs with TRBENCH_PROOFS=full, i.e. on its whole suites, with no per-test
// timeout (they take minutes on a loaded 2-core machine, and a timing must never fail a proof). One package
// at a time. Prints ONE line "N passed, N failed" at the end, like scripts/test.mjs; `.ci/run` adds it to
// the `npm test` line. Extra arguments go to vitest (e.g. `-t lookahead`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = path.join(root, 'packages');

const SIZED = /\bproofScale\b|\bdescribeRegistryProof\(/;

/**
 * Test files under `dir` (recursively) whose source sizes itself with proofScale (directly or through
 * describeRegistryProof). A `*.lossless.test.ts` that does neither is an error, not a silent skip: the full
 * proofs must never lose a file to a refactor.
 */
function proofFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.test.ts')) continue;
    const file = path.join(e.parentPath, e.name);
    if (file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (SIZED.test(readFileSync(file, 'utf8'))) out.push(file);
    else if (e.name.endsWith('.lossless.test.ts')) {
      console.error(
        `test:lossless: ${path.relative(root, file)} is a lossless proof but sizes itself neither with proofScale nor describeRegistryProof`,
      );
      process.exit(2);
    }
  }
  return out.sort();
}

let passed = 0;
let failed = 0;
let status = 0;
const t0 = Date.now();
for (const p of readdirSync(packagesDir).sort()) {
  const dir = path.join(packagesDir, p);
  if (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'src'))) continue;
  const files = proofFiles(path.join(dir, 'src')).map((f) => path.relative(dir, f));
  if (files.length === 0) continue;
  // The shared vitest config's reporters: each test as it finishes, and the JSON report read below.
  const report = path.join(dir, '.test-results', 'vitest.json');
  rmSync(report, { force: true });
  console.log(`\n== ${p}: full proofs in ${files.join(', ')}`);
  const run = spawnSync('npx', ['vitest', 'run', ...files, '--testTimeout=0', '--hookTimeout=0', ...process.argv.slice(2)], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, TRBENCH_PROOFS: 'full' },
  });
  if (run.status !== 0) status = 1;
  if (!existsSync(report)) {
    console.log(`no test report from ${p}`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  failed += r.testResults.filter((x) => x.status === 'failed' && x.assertionResults.length === 0).length;
}
console.log(`full proofs took ${((Date.now() - t0) / 60000).toFixed(1)} min`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
