/**
 * Twin generation speed: writes a twin into a temporary folder (not the cache) and prints MB/s.
 *
 *   npx tsx packages/assets/bench/twin-write.ts [twin:<shape>[:<type>] ...]
 *
 * Default: the probe shape in F16 and Q8_0. Run it under `flock /work/timing.lock` on a shared
 * machine. The target is ≥ 200 MB/s (writes go to the page cache; fsync at the end is included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseModelSpec, resolveModel, writeTwin } from '../src/index.ts';

const specs = process.argv.slice(2);
if (specs.length === 0) specs.push('twin:d2048-l8-h32-kv16-f5632:f16', 'twin:d2048-l8-h32-kv16-f5632:q8_0');
const source = await resolveModel('stories260K');
const dir = mkdtempSync(path.join(process.env.TRBENCH_CACHE ?? os.tmpdir(), 'twin-bench-'));
try {
  for (const spec of specs) {
    const parsed = parseModelSpec(spec);
    if (parsed?.kind !== 'twin') throw new Error(`${spec} is not a twin spec`);
    const file = path.join(dir, 'twin.gguf');
    const t0 = process.hrtime.bigint();
    const bytes = writeTwin(parsed, source, file);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `${parsed.canonical}: ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(bytes / 1e6 / seconds).toFixed(0)} MB/s (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'})`,
    );
    rmSync(file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
