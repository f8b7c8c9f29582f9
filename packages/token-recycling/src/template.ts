import { readFileSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';

/** A rank path: the child ranks from the root, e.g. [0, 2] = rank-2 candidate of the rank-0 candidate. */
export type RankPath = readonly number[];

/**
 * A static draft-tree template (Medusa-style), normalised to BFS order: by depth, then lexicographically
 * by ranks, which is the order of the paper's list. Node 0 is the implicit root; node i ≥ 1 is path i−1.
 */
export class TreeTemplate {
  readonly name: string;
  readonly paths: ReadonlyArray<RankPath>;
  /** Nodes including the root. */
  readonly nodes: number;
  readonly parent: Int32Array;
  readonly rank: Int32Array;
  readonly depth: Int32Array;
  readonly maxRank: number;
  readonly maxDepth: number;

  /** Validates and normalises `paths`; `source` names the input in errors (a file or a spec). */
  constructor(name: string, paths: ReadonlyArray<RankPath>, source = name) {
    const seen = new Map<string, number>();
    paths.forEach((p, i) => {
      if (!Array.isArray(p) || p.length === 0)
        throw new TrbenchError(`${source}: paths[${i}] must be a non-empty list of ranks (depth >= 1), got ${JSON.stringify(p)}`);
      for (const r of p) {
        if (!Number.isInteger(r) || r < 0)
          throw new TrbenchError(`${source}: paths[${i}] = ${JSON.stringify(p)}: ranks must be integers >= 0`);
      }
      const key = p.join(',');
      if (seen.has(key)) throw new TrbenchError(`${source}: paths[${i}] = ${JSON.stringify(p)} repeats paths[${seen.get(key)}]`);
      seen.set(key, i);
    });
    paths.forEach((p, i) => {
      for (let d = 1; d < p.length; d++) {
        const prefix = p.slice(0, d);
        if (!seen.has(prefix.join(','))) {
          throw new TrbenchError(
            `${source}: paths[${i}] = ${JSON.stringify(p)}: its prefix ${JSON.stringify(prefix)} is missing (a template must be prefix-closed)`,
          );
        }
      }
    });
    const sorted = [...paths].map((p) => [...p]).sort(compareBfs);
    const index = new Map<string, number>();
    sorted.forEach((p, i) => index.set(p.join(','), i + 1));
    this.name = name;
    this.paths = sorted;
    this.nodes = sorted.length + 1;
    this.parent = new Int32Array(this.nodes);
    this.rank = new Int32Array(this.nodes);
    this.depth = new Int32Array(this.nodes);
    this.parent[0] = -1;
    let maxRank = 0;
    let maxDepth = 0;
    sorted.forEach((p, i) => {
      const node = i + 1;
      this.parent[node] = p.length === 1 ? 0 : (index.get(p.slice(0, -1).join(',')) as number);
      this.rank[node] = p[p.length - 1];
      this.depth[node] = p.length;
      maxRank = Math.max(maxRank, p[p.length - 1]);
      maxDepth = Math.max(maxDepth, p.length);
    });
    this.maxRank = maxRank;
    this.maxDepth = maxDepth;
  }

  /** Throws unless every rank fits a matrix of width k. */
  assertFits(k: number): void {
    if (this.maxRank >= k) {
      throw new TrbenchError(`template ${this.name} uses rank ${this.maxRank}, which needs k >= ${this.maxRank + 1} (got k = ${k})`);
    }
  }

  /** Nodes per depth 1..maxDepth. */
  layerSizes(): number[] {
    const sizes = new Array<number>(this.maxDepth).fill(0);
    for (let i = 1; i < this.nodes; i++) sizes[this.depth[i] - 1]++;
    return sizes;
  }

  /** Number of root-to-leaf paths. */
  leafCount(): number {
    const hasChild = new Uint8Array(this.nodes);
    for (let i = 1; i < this.nodes; i++) hasChild[this.parent[i]] = 1;
    let leaves = 0;
    for (let i = 1; i < this.nodes; i++) if (!hasChild[i]) leaves++;
    return leaves;
  }
}

/** BFS order: shallower first, then lexicographic by ranks. */
export function compareBfs(a: RankPath, b: RankPath): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * The paper's default tree "2.2.2" (reference code `tree_template_.py`): 80 drafts + root, depths
 * 8/21/25/15/8/3, ranks up to 7, 40 root-to-leaf paths.
 */
export const PAPER_2_2_2: ReadonlyArray<RankPath> = [
  [0],
  [1],
  [2],
  [3],
  [4],
  [5],
  [6],
  [7],
  [0, 0],
  [0, 1],
  [0, 2],
  [0, 3],
  [0, 4],
  [0, 5],
  [0, 6],
  [0, 7],
  [1, 0],
  [1, 1],
  [1, 2],
  [1, 3],
  [2, 0],
  [2, 1],
  [2, 2],
  [3, 0],
  [3, 1],
  [4, 0],
  [5, 0],
  [6, 0],
  [7, 0],
  [0, 0, 0],
  [0, 0, 1],
  [0, 0, 2],
  [0, 0, 3],
  [0, 0, 4],
  [0, 0, 5],
  [0, 0, 6],
  [0, 0, 7],
  [0, 1, 0],
  [0, 1, 1],
  [0, 1, 2],
  [0, 2, 0],
  [0, 2, 1],
  [0, 3, 0],
  [0, 4, 0],
  [0, 5, 0],
  [0, 6, 0],
  [0, 7, 0],
  [1, 0, 0],
  [1, 0, 1],
  [1, 1, 0],
  [2, 0, 0],
  [3, 0, 0],
  [4, 0, 0],
  [5, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 0, 2],
  [0, 0, 0, 3],
  [0, 0, 0, 4],
  [0, 0, 1, 0],
  [0, 0, 1, 1],
  [0, 0, 2, 0],
  [0, 0, 3, 0],
  [0, 0, 4, 0],
  [0, 1, 0, 0],
  [0, 2, 0, 0],
  [1, 0, 0, 0],
  [2, 0, 0, 0],
  [3, 0, 0, 0],
  [0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1],
  [0, 0, 0, 0, 2],
  [0, 0, 0, 1, 0],
  [0, 0, 0, 2, 0],
  [0, 0, 1, 0, 0],
  [0, 1, 0, 0, 0],
  [1, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 1],
  [0, 0, 0, 1, 0, 0],
];

/** A single rank-0 chain of n drafts. */
export function chainPaths(n: number): RankPath[] {
  if (!Number.isInteger(n) || n < 1) throw new TrbenchError(`chain length must be an integer >= 1, got ${n}`);
  return Array.from({ length: n }, (_, i) => new Array<number>(i + 1).fill(0));
}

/**
 * Acceptance estimate of the rank-`rank` candidate at `depth` given its parent was accepted. The default
 * prior (0.6·0.5^rank) only shapes generated ablation trees; the tuner passes measured statistics.
 */
export type AcceptanceModel = (depth: number, rank: number) => number;
export const DEFAULT_ACCEPTANCE_PRIOR: AcceptanceModel = (_depth, rank) => 0.6 * 0.5 ** rank;

/**
 * Grows a tree best-first: repeatedly adds the frontier node whose path probability (product of its
 * ranks' acceptance) is highest, within `maxDepth` and ranks < `k`. The result maximises the expected
 * accepted length for `nodes` drafts under the acceptance model (which is prefix-monotone), the same
 * construction as Sequoia/Medusa's static optimal trees. Ties go to BFS order, so it is deterministic.
 */
export function greedyPaths(
  nodes: number,
  maxDepth: number,
  k: number,
  acceptance: AcceptanceModel = DEFAULT_ACCEPTANCE_PRIOR,
  options: { fullDepth?: boolean } = {},
): RankPath[] {
  if (!Number.isInteger(nodes) || nodes < 1) throw new TrbenchError(`node count must be an integer >= 1, got ${nodes}`);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new TrbenchError(`max depth must be an integer >= 1, got ${maxDepth}`);
  if (!Number.isInteger(k) || k < 1) throw new TrbenchError(`k must be an integer >= 1, got ${k}`);
  const chosen: RankPath[] = [];
  const frontier: Array<{ path: number[]; p: number }> = [];
  const push = (parent: number[], parentP: number) => {
    if (parent.length >= maxDepth) return;
    for (let r = 0; r < k; r++) frontier.push({ path: [...parent, r], p: parentP * acceptance(parent.length + 1, r) });
  };
  if (options.fullDepth) {
    // Depth ablations need trees that really reach maxDepth: seed the rank-0 spine, then grow greedily.
    if (nodes < maxDepth) throw new TrbenchError(`a tree of depth ${maxDepth} needs at least ${maxDepth} nodes, got ${nodes}`);
    let p = 1;
    const spine: number[] = [];
    for (let d = 1; d <= maxDepth; d++) {
      for (let r = 1; r < k; r++) frontier.push({ path: [...spine, r], p: p * acceptance(d, r) });
      spine.push(0);
      p *= acceptance(d, 0);
      chosen.push([...spine]);
    }
    push(spine, p);
  } else {
    push([], 1);
  }
  while (chosen.length < nodes && frontier.length > 0) {
    let best = 0;
    for (let i = 1; i < frontier.length; i++) {
      const a = frontier[i];
      const b = frontier[best];
      if (a.p > b.p || (a.p === b.p && compareBfs(a.path, b.path) < 0)) best = i;
    }
    const [node] = frontier.splice(best, 1);
    chosen.push(node.path);
    push(node.path, node.p);
  }
  return chosen;
}

/**
 * Parses a template spec: `2.2.2`, `chain:N`, `greedy:NODES:DEPTH` (prior-shaped tree of exactly that
 * depth, for the paper's breadth and depth ablations), or
 * a JSON file holding a list of rank paths (or an object with a `paths` list, as the tuner writes).
 */
export function parseTemplate(spec: string, k: number): TreeTemplate {
  let template: TreeTemplate;
  const chain = /^chain:(\d+)$/.exec(spec);
  const greedy = /^greedy:(\d+):(\d+)$/.exec(spec);
  if (spec === '2.2.2') template = new TreeTemplate('2.2.2', PAPER_2_2_2);
  else if (chain) template = new TreeTemplate(spec, chainPaths(Number(chain[1])), spec);
  else if (greedy)
    template = new TreeTemplate(
      spec,
      greedyPaths(Number(greedy[1]), Number(greedy[2]), k, DEFAULT_ACCEPTANCE_PRIOR, { fullDepth: true }),
      spec,
    );
  else if (spec.endsWith('.json')) template = readTemplateFile(spec);
  else
    throw new TrbenchError(
      `unknown template ${JSON.stringify(spec)}: expected 2.2.2, chain:N, greedy:NODES:DEPTH, a .json file of rank paths, or auto (tuned for this model, backend and machine)`,
    );
  template.assertFits(k);
  return template;
}

/** Reads a JSON template file: `[[0],[1],[0,0],...]` or `{ "paths": [...] }`. */
export function readTemplateFile(file: string): TreeTemplate {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TrbenchError(`cannot read template ${file}: ${(err as Error).message}`);
  }
  const paths = Array.isArray(raw) ? raw : (raw as { paths?: unknown })?.paths;
  if (!Array.isArray(paths)) throw new TrbenchError(`${file}: expected a JSON list of rank paths or an object with a "paths" list`);
  const name = (raw as { name?: unknown })?.name;
  return new TreeTemplate(typeof name === 'string' ? name : file, paths as RankPath[], file);
}
