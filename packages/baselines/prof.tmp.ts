import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { Draft, Predictions } from '@trbench/core';
const { model: a } = await openStories260K({ maxDraftNodes: 2, topK: 1 });
const { model: b } = await openStories260K({ maxDraftNodes: 5, topK: 1 });
const d = new Draft(5); const p = new Predictions(5, 1); const path = Int32Array.from([0, 1, 2, 3, 4]);
function run(m: typeof a, n: number, size = 1) {
  m.reset(); m.prefill(Int32Array.from([1, 400, 300]));
  let tok = 100;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    d.reset(tok); for (let j = 1; j < size; j++) d.add(tok, j - 1);
    m.evaluate(d, p); m.commit(path, size); tok = p.argmax[0];
    if (m.committedLength > 400) { m.truncate!(3); }
  }
  return ((performance.now() - t) / n) * 1000;
}
for (let r = 0; r < 3; r++) {
  console.log('a alone 1-token', run(a, 2000).toFixed(1), 'us');
  console.log('b alone 1-token', run(b, 2000).toFixed(1), 'us');
  console.log('b alone 5-token', run(b, 2000, 5).toFixed(1), 'us');
  // interleaved
  a.reset(); b.reset(); a.prefill(Int32Array.from([1, 400, 300])); b.prefill(Int32Array.from([1, 400, 300]));
  let ta = 0, tb = 0;
  for (let i = 0; i < 2000; i++) {
    let t = performance.now();
    d.reset(100); a.evaluate(d, p); a.commit(path, 1); if (a.committedLength > 400) a.truncate!(3);
    ta += performance.now() - t; t = performance.now();
    d.reset(100); b.evaluate(d, p); b.commit(path, 1); if (b.committedLength > 400) b.truncate!(3);
    tb += performance.now() - t;
  }
  console.log('interleaved a', (ta / 2).toFixed(1), 'us, b', (tb / 2).toFixed(1), 'us');
}
a.dispose(); b.dispose();
