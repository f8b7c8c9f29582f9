/**
 * Sizes of the end-to-end proofs on the real model. `npm test` runs each proof on a representative part
 * of its suite, so the README's test command fits a loaded 2-core machine; `npm run test:lossless` (and
 * CI after `npm test`) sets `TRBENCH_PROOFS=full` and runs the whole suites with no per-test timeout.
 * A test file that calls `proofScale` is one of those proofs: the script finds it by that name.
 */
export const FULL_PROOFS = process.env.TRBENCH_PROOFS === 'full';

/** `quick` under `npm test`, `full` under `npm run test:lossless`. */
export function proofScale<T>(quick: T, full: T): T {
  return FULL_PROOFS ? full : quick;
}

/**
 * A progress line on stderr at most every `everyMs` (default 20 s), so a long proof shows that it is
 * moving: `label: done/total`. Returns the function to call after each item.
 */
export function proofProgress(label: string, total: number, everyMs = 20_000): (done: number) => void {
  let last = Date.now();
  return (done) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    process.stderr.write(`  … ${label}: ${done}/${total}\n`);
  };
}
