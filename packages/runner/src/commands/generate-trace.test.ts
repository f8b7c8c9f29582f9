// `trbench generate --trace` on the real stories260K model: every step on record, enough to replay it. The
// accepted tokens plus the bonus of each step rebuild the output exactly, each path token is the target's
// argmax after its parent, and the JSON's acceptedPerStep agrees with the trace.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateReport } from '../generation/generate.ts';
import type { TraceStep } from '../generation/step-trace.ts';
import { TRBENCH_BIN } from '../testing/cli.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trbench-trace-'));
});

async function generate(args: string[], traceFile: string | null): Promise<{ report: GenerateReport; steps: TraceStep[] }> {
  const trace = traceFile === null ? [] : ['--trace', traceFile];
  const { stdout } = await run(process.execPath, [TRBENCH_BIN, 'generate', '--json', ...trace, ...args], { maxBuffer: 1 << 24 });
  const report = JSON.parse(stdout) as GenerateReport;
  const steps =
    traceFile === null
      ? []
      : readFileSync(traceFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as TraceStep);
  return { report, steps };
}

function expectReplayable(report: GenerateReport, steps: TraceStep[], topK: number): void {
  expect(steps.length).toBe(report.steps);
  expect(report.acceptedPerStep).toHaveLength(report.steps);
  const rebuilt: number[] = [];
  let root = report.promptTokenIds[report.promptTokenIds.length - 1];
  steps.forEach((s, i) => {
    expect(s.step).toBe(i);
    expect(s.tokens[0]).toBe(root);
    expect(s.parents[0]).toBe(-1);
    s.parents.slice(1).forEach((p, n) => expect(p).toBeLessThan(n + 1));
    expect(s.topk).toHaveLength(s.tokens.length);
    for (const row of s.topk) expect(row).toHaveLength(topK);
    // The accepted path: each node's parent is the node before it, and its token is the target's argmax there.
    expect(s.accepted[0]).toBe(0);
    for (let j = 1; j < s.accepted.length; j++) {
      expect(s.parents[s.accepted[j]]).toBe(s.accepted[j - 1]);
      expect(s.tokens[s.accepted[j]]).toBe(s.topk[s.accepted[j - 1]][0]);
    }
    expect(s.bonus).toBe(s.topk[s.accepted[s.accepted.length - 1]][0]);
    expect(s.acceptedTokens).toEqual(s.accepted.slice(1).map((n) => s.tokens[n]));
    expect(report.acceptedPerStep[i]).toBe(s.accepted.length - 1);
    rebuilt.push(...[...s.acceptedTokens, s.bonus].slice(0, s.committed));
    root = s.bonus;
  });
  expect(rebuilt).toEqual(report.tokens);
}

describe('trbench generate --trace (stories260K)', () => {
  it("TR 2.2.2: the trace rebuilds the output token for token; acceptedPerStep matches; the tokens are plain decoding's", async () => {
    const args = ['--method', 'tr', '--prompt', 'Once upon a time', '--max-new-tokens', '96'];
    const traced = await generate([...args, '--check-lossless'], path.join(dir, 'tr.jsonl'));
    expect(traced.report.losslessIdentical).toBe(true);
    expectReplayable(traced.report, traced.steps, 8);
    // Several tokens per step on this model: the trace is of a real speculative run.
    expect(traced.steps.some((s) => s.accepted.length > 2)).toBe(true);
    expect(traced.report.draftSources).toBeUndefined();
    expect(traced.steps.every((s) => s.source === undefined)).toBe(true);
    // Tracing (a wider top-k for the trace) changes no token and no step.
    const plain = await generate(args, null);
    expect(plain.report.tokens).toEqual(traced.report.tokens);
    expect(plain.report.acceptedPerStep).toEqual(traced.report.acceptedPerStep);
  }, 120_000);

  it('SuffixDecoding with --trace-topk 3, stopped by the length limit', async () => {
    const { report, steps } = await generate(
      ['--method', 'suffix', '--prompt', 'Lily and Ben', '--max-new-tokens', '77', '--trace-topk', '3'],
      path.join(dir, 'suffix.jsonl'),
    );
    expect(report.newTokens).toBe(77);
    expectReplayable(report, steps, 3);
  }, 120_000);
});
