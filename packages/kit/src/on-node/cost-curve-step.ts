import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { captureEnvironment, measureBackendCurve, openModel } from '@trbench/runner';
import { parseTemplate } from '@trbench/token-recycling';

export interface CostCurveStep {
  spec: string;
  device: 'cuda' | 'cpu';
  threads: number;
  sizes: number[];
  repeats: number;
  context: number;
  out: string;
}

/**
 * t(n) and t(n)/t(1) of the target on the device, as `packages/runner/bench/cost-curve.ts` measures it
 * (core's `measureCostCurve` on a prefix of the 2.2.2 tree, a greedy tree above 81 nodes), written as
 * cost-curve.json + cost-curve.md; the chart is drawn at home (`npm run kit:charts`). Returns t(1) in ms.
 */
export async function runCostCurve(step: CostCurveStep): Promise<number> {
  const maxNodes = Math.max(...step.sizes);
  const tree = parseTemplate(maxNodes <= 81 ? '2.2.2' : `greedy:${maxNodes}:8`, 8);
  const t0 = Date.now();
  const { model, resolved } = await openModel({
    model: step.spec,
    backend: 'llama.cpp',
    threads: step.threads,
    device: step.device,
    maxDraftNodes: maxNodes,
    topK: 8,
    contextSize: step.context + maxNodes + 8,
  });
  try {
    const loadSeconds = (Date.now() - t0) / 1000;
    const result = {
      ...(await measureBackendCurve(
        model,
        { backend: 'llama.cpp', name: resolved.name, sha256: resolved.sha256 },
        step.sizes,
        tree.parent,
        {
          contextLength: step.context,
          repeats: step.repeats,
        },
      )),
      loadSeconds,
    };
    const environment = captureEnvironment();
    const doc = {
      spec: step.spec,
      threads: step.threads,
      context: step.context,
      repeats: step.repeats,
      tree: tree.name,
      environment,
      results: [result],
    };
    const table = [
      '| n | llama.cpp t(n) ms | t(n)/t(1) |',
      '|---:|---:|---:|',
      ...result.sizes.map((n, i) => `| ${n} | ${result.ms[i].toFixed(2)} | ${result.ratio[i].toFixed(2)} |`),
    ].join('\n');
    mkdirSync(step.out, { recursive: true });
    writeFileAtomic(path.join(step.out, 'cost-curve.json'), `${JSON.stringify(doc, null, 1)}\n`);
    writeFileAtomic(
      path.join(step.out, 'cost-curve.md'),
      `# Forward time t(n): ${step.spec}\n\n${step.threads} thread(s), committed context ${step.context}, median of ${step.repeats} ` +
        `(offline kit, \`measureCostCurve\`), ${environment.cpu}, llama.cpp: ${result.version} (${result.device}), commit ${environment.gitCommit.slice(0, 10)}\n\n${table}\n`,
    );
    process.stdout.write(`${step.spec}: ${result.sizes.map((n, i) => `t(${n})=${result.ms[i].toFixed(2)}`).join(' ')} ms\n`);
    return result.ms[0];
  } finally {
    model.dispose();
  }
}
