// Synthetic manifests and records for unit tests of summaries, reports and checks (not real measurements).
import type { RunRecord } from '../sweep/records.ts';
import type { RunManifest } from '../sweep/run-dir.ts';

export const ENV = {
  cpu: 'Test CPU',
  cores: 2,
  memoryGiB: 4,
  platform: 'linux-x64',
  node: 'v20.0.0',
  gitCommit: '0123456789abcdef0123456789abcdef01234567',
  gitDirty: false,
};

/** One model `m`, one dataset `d` (subtasks s1, s2; questions q1..q4), variants `ar` and `tr[k=8]`. */
export function fixtureManifest(repeats = 1): RunManifest {
  const variants = [
    { id: 'ar', method: 'ar', params: {}, datasets: null },
    { id: 'tr[k=8]', method: 'tr', params: { k: 8 }, datasets: null },
  ];
  return {
    schema: 'trbench-run/1',
    name: 'fixture',
    createdAt: '2026-01-01T00:00:00.000Z',
    config: { file: 'configs/fixture.yaml', hash: 'a'.repeat(64), normalised: {} },
    warmup: 0,
    repeats,
    models: [
      {
        id: 'm',
        spec: 'm.gguf',
        sha256: 'b'.repeat(64),
        backend: 'llama.cpp',
        device: null,
        threads: 1,
        template: 'raw',
        contextSize: null,
      },
    ],
    datasets: [
      {
        id: 'd',
        kind: 'jsonl',
        file: 'd.jsonl',
        sha256: 'c'.repeat(64),
        subtasks: ['s1', 's2'],
        maxNewTokens: 8,
        questions: ['q1', 'q2', 'q3', 'q4'],
      },
    ],
    variants,
    units: Array.from({ length: repeats }, (_, repeat) =>
      variants.map((v) => ({
        key: JSON.stringify(['m', 'd', repeat, v.id]),
        model: 'm',
        dataset: 'd',
        repeat,
        variant: v.id,
        questions: 4,
      })),
    ).flat(),
    notes: [],
    sessions: [{ startedAt: '2026-01-01T00:00:00.000Z', resume: false, environment: ENV }],
  };
}

export function fixtureRecord(over: Partial<RunRecord> & { hist?: number[] }): RunRecord {
  const newTokens = over.newTokens ?? 8;
  const steps = over.steps ?? newTokens;
  const wallMs = over.wallMs ?? 10;
  const variant = over.variant ?? 'ar';
  const method = over.method ?? (variant === 'ar' ? 'ar' : 'tr');
  const status = over.status ?? 'done';
  const hist = over.hist ?? [0, steps];
  return {
    v: 1,
    session: 0,
    model: 'm',
    modelSha256: 'b'.repeat(64),
    stopTokens: [1, 2],
    backend: { name: 'test', version: '1', device: 'cpu', threads: 1 },
    template: 'raw',
    dataset: 'd',
    subtask: 's1',
    category: 's1',
    questionId: 'q1',
    index: 0,
    repeat: 0,
    variant,
    method,
    params: method === 'ar' ? {} : { k: 8 },
    maxNewTokens: 8,
    drafter: { warm: false, requestsBefore: 0, warmupRuns: 0 },
    status,
    turns:
      status === 'done'
        ? [
            {
              promptTokens: 3,
              tokens: Array.from({ length: newTokens }, (_, i) => i),
              stopReason: 'length',
              steps,
              acceptHist: hist,
              meanDraftNodes: method === 'ar' ? 1 : 81,
              timing: { prefillMs: 1, draftMs: 1, forwardMs: wallMs - 5, verifyMs: 1, updateMs: 1, otherMs: 1, totalMs: wallMs },
              recount: newTokens,
            },
          ]
        : [],
    newTokens: status === 'done' ? newTokens : 0,
    steps: status === 'done' ? steps : 0,
    wallMs: status === 'done' ? wallMs : 0,
    lossless: method === 'ar' ? null : { identical: true },
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** AR at 100 tok/s on q1..q4 (q4 skipped); tr twice as fast on s1, 4x on s2, MAT 2; one repeat. */
export function fixtureRecords(): RunRecord[] {
  const out: RunRecord[] = [];
  const subtaskOf = (q: string) => (q === 'q1' || q === 'q2' ? 's1' : 's2');
  for (const [i, q] of ['q1', 'q2', 'q3', 'q4'].entries()) {
    const skipped = q === 'q4';
    out.push(
      fixtureRecord({
        questionId: q,
        index: i,
        subtask: subtaskOf(q),
        newTokens: 10,
        steps: 10,
        wallMs: 100,
        ...(skipped ? { status: 'skipped', skipReason: 'too long' } : {}),
      }),
    );
  }
  for (const [i, q] of ['q1', 'q2', 'q3', 'q4'].entries()) {
    const skipped = q === 'q4';
    const fast = subtaskOf(q) === 's2';
    out.push(
      fixtureRecord({
        variant: 'tr[k=8]',
        questionId: q,
        index: i,
        subtask: subtaskOf(q),
        newTokens: 10,
        steps: 5,
        wallMs: fast ? 25 : 50,
        hist: [0, 2, 1, 2],
        ...(skipped ? { status: 'skipped', skipReason: 'too long' } : {}),
      }),
    );
  }
  return out;
}

/** A numeric divergence (tie flip with margin `delta`) as the sweep records it. */
export function numericDivergence(index: number, delta: number): RunRecord['lossless'] {
  return {
    identical: false,
    turn: 1,
    index,
    kind: 'numeric',
    delta,
    decidedBy: 'trace',
    plain: { id: 10, logit: 5.001, runnerUp: { id: 20, logit: 5.001 - delta } },
    method: { id: 20, logit: 5.0, runnerUp: { id: 10, logit: 5.0 - delta / 2 } },
    reason: 'tie flip',
  };
}
