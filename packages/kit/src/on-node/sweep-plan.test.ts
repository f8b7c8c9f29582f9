import { describe, expect, it } from 'vitest';
import { jsonlFieldsOf, planSweep } from './sweep-plan.ts';

const flat = (t1: number) => ({ sizes: [1, 16, 81, 128], ms: [t1, t1 * 1.2, t1 * 1.6, t1 * 2] });
const base = { curve: flat(10), model: 'twin:vicuna-7b', device: 'cuda' as const, threads: 1, maxQuestions: 48, maxNewTokens: 128 };

describe('planSweep', () => {
  it('fits more questions into more time, never more than the dataset holds', () => {
    const short = planSweep({ ...base, budgetSeconds: 120 });
    const long = planSweep({ ...base, budgetSeconds: 300 });
    expect(long.questions).toBeGreaterThan(short.questions);
    expect(long.estimateSeconds).toBeLessThanOrEqual(300);
    expect(planSweep({ ...base, budgetSeconds: 1e6 }).questions).toBe(48);
  });

  it('expects one question when the budget is spent; the config keeps all the questions a later call resumes', () => {
    const p = planSweep({ ...base, maxQuestions: 16, budgetSeconds: 5 });
    expect(p.questions).toBe(1);
    expect(p.config.datasets).toEqual([{ dataset: 'stories', limit: 16 }]);
  });

  it('a tree that costs far more than one token (a CPU) gets fewer questions than t(1) alone suggests', () => {
    const steep = { sizes: [1, 4, 81], ms: [1, 35, 470] };
    const cpu = { ...base, device: 'cpu' as const, maxNewTokens: 32, budgetSeconds: 360 };
    expect(planSweep({ ...cpu, curve: steep }).questions).toBeLessThan(planSweep({ ...cpu, curve: flat(1) }).questions);
    expect(planSweep({ ...cpu, curve: steep }).estimateSeconds).toBeLessThanOrEqual(360);
  });

  it('a slower target gets fewer questions', () => {
    expect(planSweep({ ...base, curve: flat(40), budgetSeconds: 300 }).questions).toBeLessThan(
      planSweep({ ...base, budgetSeconds: 300 }).questions,
    );
  });
});

describe('planSweep for the user (run.sh --model, --dataset)', () => {
  it("the user's model gets PLD instead of SpS (no carried draft shares its tokenizer), and its template", () => {
    const p = planSweep({ ...base, budgetSeconds: 300, userModel: true, template: 'vicuna' });
    const methods = p.config.methods as { method: string }[];
    expect(methods.map((m) => m.method)).toEqual(['tr', 'tr', 'tr', 'suffix', 'pld']);
    expect((p.config.models as { template?: string }[])[0].template).toBe('vicuna');
    expect((planSweep({ ...base, budgetSeconds: 300 }).config.methods as { method: string }[]).at(-1)?.method).toBe('sps');
  });

  it('Spec-Bench is spread over its 6 subtasks; a JSONL file is read through the mapping its first line implies', () => {
    expect(planSweep({ ...base, budgetSeconds: 300, maxQuestions: 16, dataset: { kind: 'spec-bench' } }).config.datasets).toEqual([
      { dataset: 'spec-bench', limit: 3, pick: 'spread' },
    ]);
    expect(jsonlFieldsOf({ question_id: 1, category: 'qa', turns: ['a'] })).toEqual({
      id: 'question_id',
      turns: 'turns',
      category: 'category',
    });
    expect(jsonlFieldsOf({ prompt: 'x' })).toEqual({ prompt: 'prompt' });
    expect(jsonlFieldsOf({ text: 'x' })).toBeNull();
    const fields = { prompt: 'prompt' };
    expect(
      planSweep({ ...base, budgetSeconds: 300, maxQuestions: 5, dataset: { kind: 'jsonl', path: '/d/q.jsonl', fields } }).config.datasets,
    ).toEqual([{ dataset: 'jsonl', path: '/d/q.jsonl', fields, limit: 5 }]);
  });
});
