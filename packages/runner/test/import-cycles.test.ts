// No import cycles inside a package (docs/architecture.md): a walk over every package's relative imports
// (`import`, `import type`, `export … from`, `import()`), cycles found as strongly connected components.
// Type-only imports count: a cycle through types still ties the files' roles together.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCE = /\.(ts|mts|js|mjs)$/;
const SKIP = new Set(['node_modules', '.test-results', 'dist']);
const IMPORTS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveRelative(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Relative-import graph of the files under `dir` (edges to files outside it are dropped). */
export function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const inside = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const re of IMPORTS) {
      for (const m of text.matchAll(re)) {
        if (!m[1].startsWith('.')) continue;
        const target = resolveRelative(file, m[1]);
        if (target && inside.has(target)) targets.add(target);
      }
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The cycles of a graph: each strongly connected component with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('no import cycle inside a package', () => {
  const packagesDir = path.join(repoRoot, 'packages');
  const packages = readdirSync(packagesDir).filter((p) => existsSync(path.join(packagesDir, p, 'package.json')));

  it('finds the packages', () => {
    expect(packages).toContain('runner');
    expect(packages).toContain('assets');
  });

  for (const p of packages) {
    it(p, () => {
      const dir = path.join(packagesDir, p);
      const cycles = importCycles(importGraph(dir)).map((c) => c.map((f) => path.relative(dir, f)).join(' ↔ '));
      expect(cycles).toEqual([]);
    });
  }

  it('the walk sees a cycle through a type-only import, a re-export and a dynamic import', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trbench-cycles-'));
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
      writeFileSync(path.join(dir, 'b.ts'), "export {\n  c,\n} from './c.ts';\nexport type B = number;\n");
      writeFileSync(path.join(dir, 'c.ts'), "export const c = () => import('./a.ts');\n");
      writeFileSync(path.join(dir, 'd.ts'), "import { c } from './c.ts';\nc();\n");
      const cycles = importCycles(importGraph(dir)).map((c) => c.map((f) => path.basename(f)));
      expect(cycles).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
