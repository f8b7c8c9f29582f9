import { GgufMetadata } from '@trbench/assets';
import { Draft, Predictions, type TargetModel, TrbenchError } from '@trbench/core';
import type { TreeTemplate } from '@trbench/token-recycling';

/** Ids from 3 on that text can produce: not UNUSED (llama.cpp token type 5), e.g. not a wide twin's padding. */
export function textTokenIds(file: string): Int32Array {
  const types = GgufMetadata.read(file).get('tokenizer.ggml.token_type') as ArrayLike<number> | undefined;
  if (!types) throw new TrbenchError(`${file}: no tokenizer.ggml.token_type in the GGUF metadata`);
  const ids: number[] = [];
  for (let t = 3; t < types.length; t++) if (Number(types[t]) !== UNUSED_TOKEN_TYPE) ids.push(t);
  return Int32Array.from(ids);
}

const UNUSED_TOKEN_TYPE = 5;

/** One model's tree-vs-linear comparison (what `trbench check-backend` prints and writes). */
export interface TreeCheckResult {
  model: string;
  sha256: string;
  backend: string;
  device: string;
  vocabSize: number;
  tree: string;
  nodes: number;
  /** Root-to-leaf paths evaluated linearly (each compares every node on it). */
  paths: number;
  /** Largest |tree logit − linear logit| over every node and every vocabulary entry. */
  maxAbsDiff: number;
  /**
   * Largest |tree logit − linear logit| / max(1, |linear logit|): what `tolerance` bounds. Kernels round
   * relative to a value's magnitude, and a wide twin's unused tokens sit near −2000, where f32 alone
   * resolves only ~1e-4.
   */
  maxScaledDiff: number;
  worstNode: number;
  /** Nodes whose greedy token differs although the linear run's top two are further apart than `tolerance`. */
  argmaxMismatches: { node: number; tree: number; linear: number; margin: number }[];
  /** Nodes whose linear top two are within `tolerance` (a different argmax there is a tie, not a fault). */
  nearTies: number;
  tolerance: number;
  passed: boolean;
  seconds: number;
}

/**
 * Deterministic stand-in tokens for the tree's nodes (LCG over `candidates`, or ids 3.. so BOS/EOS/UNK never
 * appear).
 */
function fillTree(draft: Draft, template: TreeTemplate, root: number, vocabSize: number, seed: number, candidates?: Int32Array): void {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  draft.reset(root);
  for (let i = 1; i < template.nodes; i++) {
    const token = candidates ? candidates[Math.floor(next() * candidates.length)] : 3 + Math.floor(next() * (vocabSize - 3));
    draft.add(token, template.parent[i]);
  }
}

function argmaxOf(row: Float32Array): { best: number; margin: number } {
  let best = 0;
  let second = -1;
  for (let t = 1; t < row.length; t++) {
    if (row[t] > row[best]) {
      second = best;
      best = t;
    } else if (second < 0 || row[t] > row[second]) second = t;
  }
  return { best, margin: second < 0 ? Number.POSITIVE_INFINITY : row[best] - row[second] };
}

/**
 * Evaluates `template` (e.g. the paper's 81-node 2.2.2 tree) in ONE forward on top of a prompt, then
 * every root-to-leaf path linearly in a fresh context, and compares the logits of every node on it.
 * Tree attention is right when each node's logits equal its path's (up to the backend's kernel-order
 * rounding: |Δ| ≤ `tolerance` · max(1, |logit|)) and no greedy token differs outside near-ties.
 */
export function checkTreeAgainstLinear(
  model: TargetModel,
  template: TreeTemplate,
  options: {
    prompt: string;
    tolerance: number;
    seed?: number;
    name: string;
    sha256: string;
    /**
     * Token ids the nodes are drawn from (default: every id from 3). Pass the ids text can produce: a
     * vocabulary's UNUSED entries (a wide twin's padding) have arbitrary embeddings no real input reaches.
     */
    nodeTokens?: Int32Array;
  },
): TreeCheckResult {
  if (!model.nodeLogits) throw new TrbenchError(`backend ${model.backend.name} does not expose node logits; cannot compare them`);
  const t0 = performance.now();
  const V = model.info.vocabSize;
  const prompt = model.tokenize(options.prompt, true);
  if (prompt.length < 2) throw new TrbenchError(`the check prompt ${JSON.stringify(options.prompt)} tokenizes to fewer than 2 tokens`);
  const prefix = prompt.subarray(0, prompt.length - 1);
  const draft = new Draft(template.nodes);
  const preds = new Predictions(template.nodes, model.topK);
  fillTree(draft, template, prompt[prompt.length - 1], V, options.seed ?? 1, options.nodeTokens);

  model.reset();
  model.prefill(prefix, null);
  model.evaluate(draft, preds);
  const tree = new Float32Array(template.nodes * V);
  for (let i = 0; i < template.nodes; i++) tree.set(model.nodeLogits(i), i * V);

  const isLeaf = new Uint8Array(template.nodes).fill(1);
  for (let i = 1; i < template.nodes; i++) isLeaf[template.parent[i]] = 0;
  const pathOut = new Predictions(template.maxDepth + 1, model.topK);
  let maxAbsDiff = 0;
  let maxScaledDiff = 0;
  let worstNode = 0;
  let nearTies = 0;
  let paths = 0;
  const mismatches: TreeCheckResult['argmaxMismatches'] = [];
  const seen = new Uint8Array(template.nodes);
  for (let leaf = 0; leaf < template.nodes; leaf++) {
    if (!isLeaf[leaf]) continue;
    const nodes: number[] = [];
    for (let n = leaf; n >= 0; n = draft.parent[n]) nodes.unshift(n);
    model.reset();
    model.prefill(prefix, null);
    model.prefill(
      nodes.map((n) => draft.tokens[n]),
      pathOut,
    );
    paths++;
    for (let j = 0; j < nodes.length; j++) {
      const node = nodes[j];
      const linear = model.nodeLogits(j);
      const treeRow = tree.subarray(node * V, node * V + V);
      for (let t = 0; t < V; t++) {
        const d = Math.abs(treeRow[t] - linear[t]);
        if (Number.isNaN(d)) {
          maxAbsDiff = maxScaledDiff = Number.POSITIVE_INFINITY;
          worstNode = node;
          continue;
        }
        if (d > maxAbsDiff) maxAbsDiff = d;
        const scaled = d / Math.max(1, Math.abs(linear[t]));
        if (scaled > maxScaledDiff) {
          maxScaledDiff = scaled;
          worstNode = node;
        }
      }
      if (seen[node]) continue;
      seen[node] = 1;
      const lin = argmaxOf(linear);
      const got = argmaxOf(treeRow).best;
      if (lin.margin <= options.tolerance) nearTies++;
      else if (got !== lin.best) mismatches.push({ node, tree: got, linear: lin.best, margin: lin.margin });
    }
  }
  model.reset();
  return {
    model: options.name,
    sha256: options.sha256,
    backend: model.backend.version,
    device: model.backend.device,
    vocabSize: V,
    tree: template.name,
    nodes: template.nodes,
    paths,
    maxAbsDiff,
    maxScaledDiff,
    worstNode,
    argmaxMismatches: mismatches,
    nearTies,
    tolerance: options.tolerance,
    passed: maxScaledDiff <= options.tolerance && mismatches.length === 0,
    seconds: (performance.now() - t0) / 1000,
  };
}
