import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Why a piece is missing from the kit, said by the stand-ins below when something reaches them. */
const NOT_IN_KIT = 'is not in the offline kit';

/**
 * Stand-ins for what the GPU run does not carry: ONNX Runtime (291 MB of native code), the chart
 * renderer (a 35 MB canvas binary; charts are drawn at home with `trbench report`) and node-llama-cpp
 * (libllama comes from the kit's own build through TRBENCH_LIBLLAMA_DIR; GGUF headers are read by
 * `@trbench/assets`).
 */
const STUBS: Record<string, string> = {
  backendOnnx: `import { TrbenchError } from '@trbench/core';
export class OnnxModel {
  static async open() { throw new TrbenchError('the ONNX Runtime backend ${NOT_IN_KIT}: use --backend llama.cpp'); }
}`,
  charts: `let told = false;
export function renderCharts() {
  if (!told) process.stderr.write('trbench: charts are not drawn by the offline kit; run \`trbench report <run folder>\` at home to draw them\\n');
  told = true;
  return [];
}
export function render() { renderCharts(); return null; }
export function title(text) { return { title: { display: true, text } }; }
export function axis(text, extra = {}) { return { title: { display: true, text }, ...extra }; }`,
  costChart: `import { TrbenchError } from '@trbench/core';
export function costCurveChart() { throw new TrbenchError('charts are not drawn by the offline kit; run \`npm run kit:charts -- <out>\` at home'); }`,
  nodeLlamaCpp: `export async function getLlamaGpuTypes() { return []; }`,
};

function kitStubs(repoRoot: string): Plugin {
  const runnerSrc = path.join(repoRoot, 'packages', 'runner', 'src');
  return {
    name: 'trbench-kit-stubs',
    setup(b) {
      b.onResolve({ filter: /^@trbench\/backend-onnx$/ }, () => ({ path: 'backendOnnx', namespace: 'kit-stub' }));
      b.onResolve({ filter: /^node-llama-cpp$/ }, () => ({ path: 'nodeLlamaCpp', namespace: 'kit-stub' }));
      b.onResolve({ filter: /(^|\/)(charts|cost-chart)\.ts$/ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        if (file === path.join(runnerSrc, 'report', 'charts.ts')) return { path: 'charts', namespace: 'kit-stub' };
        if (file === path.join(runnerSrc, 'report', 'cost-chart.ts')) return { path: 'costChart', namespace: 'kit-stub' };
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'kit-stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js', resolveDir: runnerSrc }));
    },
  };
}

/**
 * Bundles trbench (the CLI plus the kit's own steps, `packages/kit/src/on-node/entry.ts`) into one ESM
 * file for Node 20. koffi's JavaScript is bundled; its native piece (`@koromix/koffi-linux-x64`) stays
 * external and is shipped next to the bundle. The banner records the commit the kit was built from and
 * makes the bundle's folder trbench's root (package.json, configs/, datasets/).
 */
export async function bundleTrbench(repoRoot: string, outfile: string, gitCommit: string, gitDirty: boolean): Promise<{ bytes: number }> {
  const result = await build({
    entryPoints: [path.join(repoRoot, 'packages', 'kit', 'src', 'on-node', 'entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'external',
    external: ['@koromix/*'],
    plugins: [kitStubs(repoRoot)],
    metafile: true,
    logLevel: 'error',
    banner: {
      js: [
        "import { createRequire as __kitCreateRequire } from 'node:module';",
        "import { dirname as __kitDirname } from 'node:path';",
        "import { fileURLToPath as __kitFileURLToPath } from 'node:url';",
        'const require = __kitCreateRequire(import.meta.url);',
        'process.env.TRBENCH_ROOT ??= __kitDirname(__kitFileURLToPath(import.meta.url));',
        `process.env.TRBENCH_GIT_COMMIT ??= ${JSON.stringify(gitCommit)};`,
        `process.env.TRBENCH_GIT_DIRTY ??= ${JSON.stringify(gitDirty ? '1' : '0')};`,
      ].join('\n'),
    },
  });
  const out = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { bytes: out };
}
