/**
 * Differential check of trbench's SuffixTree against ArcticInference's own C++ one, compiled unmodified from a
 * checkout of the authors' repository (snowflakedb/ArcticInference, `csrc/suffix_decoding/`; checked at commit
 * 9d46438). Random tie-heavy histories (alphabets of 2–4 tokens, depths 3–64, interleaved sequences, random
 * removals) are replayed on both; every speculation (path and tree mode, random limits, α, offsets and
 * thresholds) must give the same tokens, parents, score and match length, and the C++ `check_integrity`
 * must pass at the end. Needs g++ with C++20.
 *
 *   npx tsx bench/suffix-arctic-diff.ts --arctic PATH/TO/ArcticInference/csrc/suffix_decoding [--trials 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '@trbench/core';
import { SuffixTree } from '../src/suffix-tree.ts';
import { nextInt } from '../src/testing/random.ts';

const { values } = parseArgs({ options: { arctic: { type: 'string' }, trials: { type: 'string', default: '200' } } });
if (!values.arctic) throw new Error('--arctic DIR (ArcticInference csrc/suffix_decoding) is required');
const here = path.dirname(fileURLToPath(import.meta.url));
const driver = path.join(mkdtempSync(path.join(tmpdir(), 'arctic-suffix-')), 'driver');
execFileSync('g++', [
  '-O2',
  '-std=c++20',
  `-I${values.arctic}`,
  '-o',
  driver,
  path.join(here, 'arctic-suffix', 'driver.cc'),
  path.join(values.arctic, 'suffix_tree.cc'),
]);

let speculations = 0;
let drafted = 0;
const mismatches: string[] = [];
for (let trial = 0; trial < Number(values.trials); trial++) {
  const rng = new Rng(1000 + trial);
  const alphabet = 2 + nextInt(rng, 3);
  const depth = [3, 4, 5, 6, 8, 12, 64][nextInt(rng, 7)];
  const tree = new SuffixTree(depth, 40);
  const ops: string[] = [];
  const ours: string[] = [];
  const live: { cpp: number; ts: number; toks: number[] }[] = [];
  let nextId = 0;
  const count = 300 + nextInt(rng, 500);
  for (let k = 0; k < count; k++) {
    const r = nextInt(rng, 100);
    if (r < 5 || live.length === 0) {
      live.push({ cpp: nextId++, ts: tree.openSequence(), toks: [] });
    } else if (r < 8 && live.length > 1) {
      const s = live.splice(nextInt(rng, live.length), 1)[0];
      tree.removeSequence(s.ts);
      ops.push(`R ${s.cpp}`);
    } else if (r < 80) {
      const s = live[nextInt(rng, live.length)];
      const t = nextInt(rng, alphabet);
      tree.append(s.ts, t);
      s.toks.push(t);
      ops.push(`A ${s.cpp} ${t}`);
    } else {
      const s = live[nextInt(rng, live.length)];
      const random = Array.from({ length: 1 + nextInt(rng, 10) }, () => nextInt(rng, alphabet));
      // The cache passes the last max_tree_depth tokens.
      const context = (s.toks.length > 0 && nextInt(rng, 3) > 0 ? s.toks : random).slice(-depth);
      const useTree = nextInt(rng, 2) === 1;
      const maxTokens = 1 + nextInt(rng, 40);
      const factor = [1, 0.5, 2, 0.7][nextInt(rng, 4)];
      const offset = [0, 1, -1, 0.3][nextInt(rng, 4)];
      const minProb = [0.1, 0, 0.3, 0.05][nextInt(rng, 4)];
      const d = tree.speculate(context, context.length, {
        maxSpecTokens: maxTokens,
        alpha: factor,
        offset,
        minTokenProb: minProb,
        tree: useTree,
      });
      let line = `${d.count > 0 ? d.matchLength : 0} ${d.score} |`;
      for (let i = 0; i < d.count; i++) line += ` ${d.tokens[i]}:${d.parents[i]}`;
      ours.push(line);
      ops.push(`S ${useTree ? 1 : 0} ${maxTokens} ${factor} ${offset} ${minProb} ${context.length} ${context.join(' ')}`);
      speculations++;
      if (d.count > 0) drafted++;
    }
  }
  ops.push('I');
  const out = execFileSync(driver, [String(depth)], { input: `${ops.join('\n')}\n`, maxBuffer: 1 << 26 })
    .toString()
    .trim()
    .split('\n');
  const integrity = out.pop();
  if (integrity !== 'ok') mismatches.push(`trial ${trial}: C++ check_integrity: ${integrity}`);
  out.forEach((line, i) => {
    // An empty draft's match length is whatever the last non-negative score left; compare drafts only.
    const [head, rest] = line.split('|');
    const [m, score] = head.trim().split(' ');
    const theirs = `${rest.trim() ? m : 0} ${Number(score)} |${rest}`;
    if (theirs !== ours[i]) mismatches.push(`trial ${trial}, speculation ${i}:\n  C++     ${theirs}\n  trbench ${ours[i]}`);
  });
}
process.stdout.write(`${speculations} speculations (${drafted} non-empty), ${mismatches.length} differ\n`);
for (const m of mismatches.slice(0, 10)) process.stdout.write(`${m}\n`);
process.exitCode = mismatches.length === 0 ? 0 : 1;
