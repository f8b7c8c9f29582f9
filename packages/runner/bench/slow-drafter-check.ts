// Checks that SlowDrafter injects its fraction on the real model: npx tsx packages/runner/bench/slow-drafter-check.ts

import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { DecodeLoop } from '@trbench/core';
import { createDrafter } from '../src/methods/index.ts';
import { SlowDrafter } from './slow-drafter.ts';

const { model } = await openStories260K({ maxDraftNodes: 128, topK: 8, threads: 1 });
const prompt = model.tokenize('Once upon a time, there was a little girl named Lily. She', true);
const ctx = { vocabSize: model.info.vocabSize, modelSha256: model.info.sha256, modelName: 'x', model };
const plain = new DecodeLoop(model, await createDrafter('tr', {}, ctx));
const slowDrafter = new SlowDrafter(await createDrafter('tr', {}, ctx), 0.15);
const slow = new DecodeLoop(model, slowDrafter);
const acc = { plain: [0, 0], slow: [0, 0] };
for (let i = 0; i < 8; i++) {
  for (const [name, loop] of [
    ['plain', plain],
    ['slow', slow],
  ] as const) {
    const c0 = process.cpuUsage();
    const r = loop.generate(prompt, { maxNewTokens: 128 });
    const c = process.cpuUsage(c0);
    acc[name][0] += r.timing.totalMs - r.timing.prefillMs;
    acc[name][1] += (c.user + c.system) / 1000;
  }
}
console.log(
  `wait/step cpu ${(slowDrafter.waitCpuMs / slowDrafter.stepCpuMs).toFixed(3)}; slow/plain wall ${(acc.slow[0] / acc.plain[0]).toFixed(3)}, cpu ${(acc.slow[1] / acc.plain[1]).toFixed(3)}`,
);
