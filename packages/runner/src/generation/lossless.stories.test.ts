// Divergence diagnosis on the real model (stories260K, both backends): a method that commits a token the
// model did not predict comes out `logic`, a constructed near-tie that rounds one way when a node is
// evaluated alone and the other way in a batch comes out `numeric`, and real methods stay identical with
// every committed token the argmax of the evaluation that produced it.
import {
  AutoregressiveDrafter,
  DecodeLoop,
  type Draft,
  type Drafter,
  GreedyVerifier,
  type Predictions,
  type TargetModel,
  type Verifier,
} from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMethod, parseMethodParams } from '../methods/index.ts';
import { type BackendName, openModel } from '../models/open-model.ts';
import { runGenerate } from './generate.ts';
import { diagnoseDivergence, type TurnEvidence } from './lossless.ts';

const PROMPTS = ['Once upon a time, there was a little girl named Lily.', 'Tom and his dad went to the lake to'];
const MAX_NEW = 48;

/** Proposes the root's token twice: every step evaluates a 3-node batch (rarely accepted, always batched). */
class BatchingDrafter implements Drafter {
  readonly name = 'batching';
  readonly maxDraftNodes = 3;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  beginRequest(): void {}
  propose(_h: unknown, draft: Draft): void {
    draft.add(draft.tokens[0], draft.add(draft.tokens[0], 0));
  }
  observe(): void {}
  endRequest(): void {}
}

/**
 * stories260K whose prediction of new token `target` (0-based, after a `promptLength`-token prompt) depends
 * on the batch shape, the way a GPU kernel's accumulation order does: `tie` puts the true argmax a and the
 * runner-up b 0.002 apart (below F16's rounding of a logit of that size), a first when the node is
 * evaluated alone and b first in a batch; `bug` lifts b 1.0 above a in a batch (a broken evaluation).
 * Full rows are not exposed, so a re-evaluation reads the same top-k.
 */
class BatchShapeModel {
  promptLength = 0;
  target = -1;
  constructor(
    readonly inner: TargetModel,
    readonly mode: 'tie' | 'bug',
  ) {}
  wrap(): TargetModel {
    const self = this;
    const inner = this.inner;
    return {
      get info() {
        return inner.info;
      },
      get backend() {
        return inner.backend;
      },
      get topK() {
        return inner.topK;
      },
      get maxDraftNodes() {
        return inner.maxDraftNodes;
      },
      get committedLength() {
        return inner.committedLength;
      },
      isEndOfGeneration: (t) => inner.isEndOfGeneration(t),
      tokenize: (text, bos) => inner.tokenize(text, bos),
      detokenize: (tokens) => inner.detokenize(tokens),
      reset: () => inner.reset(),
      prefill: (tokens, out) => inner.prefill(tokens, out),
      commit: (path, length) => inner.commit(path, length),
      dispose: () => {},
      evaluate(draft: Draft, out: Predictions, withLogSumExp?: boolean) {
        const committed = inner.committedLength;
        inner.evaluate(draft, out, withLogSumExp);
        for (let i = 0; i < draft.count; i++) {
          if (committed + draft.depth[i] + 1 !== self.promptLength + self.target) continue;
          const k = out.k;
          const [a, b, la] = [out.topIds[i * k], out.topIds[i * k + 1], out.topLogits[i * k]];
          const batched = draft.count > 1;
          const first = batched ? b : a;
          const second = batched ? a : b;
          const gap = self.mode === 'tie' ? 0.002 : batched ? 1 : la - out.topLogits[i * k + 1];
          out.topIds[i * k] = first;
          out.topIds[i * k + 1] = second;
          out.topLogits[i * k] = la;
          out.topLogits[i * k + 1] = la - gap;
          out.argmax[i] = first;
        }
      },
    };
  }
}

/** Flips the bonus token of step `step` to the runner-up of its row: commits a token the model did not predict. */
class WrongBonusVerifier implements Verifier {
  readonly name = 'wrong-bonus';
  private readonly greedy = new GreedyVerifier();
  private steps = 0;
  constructor(private readonly step: number) {}
  begin(): void {
    this.steps = 0;
  }
  verify(draft: Draft, predictions: Predictions, model: TargetModel, out: Parameters<Verifier['verify']>[3]): void {
    this.greedy.verify(draft, predictions, model, out);
    if (this.steps++ !== this.step) return;
    const row = out.path[out.length - 1];
    out.bonusToken = predictions.topIds[row * predictions.k + 1];
  }
}

function run(model: TargetModel, drafter: Drafter, prompt: Int32Array, verifier?: Verifier) {
  const result = new DecodeLoop(model, drafter).generate(prompt, { maxNewTokens: MAX_NEW, stopAtEndOfGeneration: false, verifier });
  const evidence: TurnEvidence[] = [{ prompt, trace: result.trace }];
  return { turns: [{ tokens: Array.from(result.tokens) }], evidence, result };
}

function firstDiff(a: number[], b: number[]): number {
  return a.findIndex((x, i) => x !== b[i]);
}

describe.each(['llama.cpp', 'onnx'] as BackendName[])('divergence diagnosis on stories260K (%s)', (backend) => {
  let model: TargetModel;
  beforeAll(async () => {
    model = (await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: 65, topK: 8 })).model;
  }, 120_000);
  afterAll(() => model?.dispose());

  it('real methods stay identical, and every committed token is the argmax of the evaluation that produced it', async () => {
    for (const [name, raw] of [
      ['tr', { template: 'chain:4' }],
      ['suffix', {}],
    ] as const) {
      const method = getMethod(name);
      const drafter = await method.create(parseMethodParams(method, raw, 'test'), {
        vocabSize: model.info.vocabSize,
        modelSha256: model.info.sha256,
        modelName: model.info.name,
        model,
        modelSpec: 'stories260K',
        sampled: false,
      });
      for (const text of PROMPTS) {
        const prompt = model.tokenize(text, true);
        const plain = run(model, new AutoregressiveDrafter(), prompt);
        const spec = run(model, drafter, prompt);
        expect(spec.turns[0].tokens).toEqual(plain.turns[0].tokens);
        for (const r of [plain, spec]) {
          const ids = r.result.trace.ids;
          r.turns[0].tokens.forEach((t, i) => expect(ids[2 * i]).toBe(t));
          expect(Array.from(r.result.trace.logits).every(Number.isFinite)).toBe(true);
        }
      }
      drafter.dispose?.();
    }
  });

  it('negative control: a verifier that commits the runner-up is logic, with or without the reference trace', () => {
    const prompt = model.tokenize(PROMPTS[0], true);
    const plain = run(model, new AutoregressiveDrafter(), prompt);
    const wrong = run(model, new AutoregressiveDrafter(), prompt, new WrongBonusVerifier(5));
    const index = firstDiff(wrong.turns[0].tokens, plain.turns[0].tokens);
    expect(index).toBe(5);
    const d = diagnoseDivergence(model, { turn: 1, index }, plain, wrong);
    expect(d).toMatchObject({ kind: 'logic', decidedBy: 'trace' });
    expect(d.method?.id).toBe(wrong.turns[0].tokens[5]);
    expect(d.method?.runnerUp?.id).toBe(plain.turns[0].tokens[5]);
    const blind = diagnoseDivergence(model, { turn: 1, index }, { turns: plain.turns }, wrong);
    expect(blind.kind).toBe('logic');
  });

  it('a near-tie that flips with the batch shape is numeric; a batch that ranks far otherwise is logic', async () => {
    const prompt = model.tokenize(PROMPTS[1], true);
    const plainTrue = run(model, new AutoregressiveDrafter(), prompt);
    // A position where stories260K's own margin is clear, so that only the construction makes it a tie.
    const margins = plainTrue.turns[0].tokens.map(
      (_, i) => plainTrue.result.trace.logits[2 * i] - plainTrue.result.trace.logits[2 * i + 1],
    );
    const target = margins.findIndex((m, i) => i >= 3 && m > 0.5);
    expect(target).toBeGreaterThan(0);
    for (const mode of ['tie', 'bug'] as const) {
      const shaped = new BatchShapeModel(model, mode);
      shaped.promptLength = prompt.length;
      shaped.target = target;
      const wrapped = shaped.wrap();
      const plain = run(wrapped, new AutoregressiveDrafter(), prompt);
      const batched = run(wrapped, new BatchingDrafter(), prompt);
      expect(plain.turns[0].tokens.slice(0, target + 1)).toEqual(plainTrue.turns[0].tokens.slice(0, target + 1));
      const index = firstDiff(batched.turns[0].tokens, plain.turns[0].tokens);
      expect(index).toBe(target);
      const d = diagnoseDivergence(wrapped, { turn: 1, index }, plain, batched);
      const blind = diagnoseDivergence(wrapped, { turn: 1, index }, { turns: plain.turns }, batched);
      if (mode === 'tie') {
        expect(d).toMatchObject({ kind: 'numeric', decidedBy: 'trace' });
        expect(d.delta).toBeCloseTo(0.002, 4);
        expect(d.plain).toMatchObject({ id: plain.turns[0].tokens[target], runnerUp: { id: batched.turns[0].tokens[target] } });
        // Re-evaluated one at a time and in one batch (a root alone each time): the tie is there.
        expect(blind).toMatchObject({ kind: 'numeric', decidedBy: 're-evaluation' });
      } else {
        expect(d).toMatchObject({ kind: 'logic', decidedBy: 'trace' });
        expect(d.delta).toBeGreaterThan(0.5);
        // Re-evaluated, the model's own margin there (> 0.5) is no tie.
        expect(blind).toMatchObject({ kind: 'logic', decidedBy: 're-evaluation' });
      }
      // `trbench generate --check-lossless --json` carries the same diagnosis.
      const report = await runGenerate({
        model: wrapped,
        drafter: new BatchingDrafter(),
        prompt: PROMPTS[1],
        maxNewTokens: MAX_NEW,
        checkLossless: true,
      });
      expect(report.losslessIdentical).toBe(false);
      expect(report.firstDivergence).toBe(target);
      expect(report.divergence).toMatchObject({
        position: target,
        kind: mode === 'tie' ? 'numeric' : 'logic',
        plain: { id: plain.turns[0].tokens[target] },
        method: { id: batched.turns[0].tokens[target] },
      });
      expect(typeof report.divergence?.plain?.logit).toBe('number');
      expect(typeof report.divergence?.method?.runnerUp?.logit).toBe('number');
    }
  });
});
