import { TrbenchError } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { parseGenericJsonl } from './generic-jsonl.ts';
import { loadDatasetSource } from './load.ts';
import { selectQuestions } from './select.ts';
import { parseMtBenchFormat, SPEC_BENCH_SUBTASKS, specBenchSubtask } from './spec-bench.ts';
import type { Question } from './types.ts';

const q = (id: string, subtask: string): Question => ({ id, subtask, category: subtask, turns: [id] });

describe('selectQuestions', () => {
  const all = [q('1', 'a'), q('2', 'a'), q('3', 'b'), q('4', 'a'), q('5', 'b'), q('6', 'a')];
  it('keeps file order and limits each subtask', () => {
    expect(selectQuestions(all, { limit: 2, pick: 'first' }).map((x) => x.id)).toEqual(['1', '2', '3', '5']);
  });
  it('spreads the picks over a subtask', () => {
    expect(selectQuestions(all, { limit: 2, pick: 'spread' }).map((x) => x.id)).toEqual(['1', '3', '4', '5']);
  });
  it('filters subtasks and takes everything without a limit', () => {
    expect(selectQuestions(all, { subset: ['b'], pick: 'first' }).map((x) => x.id)).toEqual(['3', '5']);
  });
});

describe('Spec-Bench', () => {
  it('has the 6 subtasks of the paper, 80 questions each; MT-bench questions have 2 turns', async () => {
    const data = await loadDatasetSource({ kind: 'spec-bench' });
    expect(data.subtasks).toEqual([...SPEC_BENCH_SUBTASKS]);
    for (const s of SPEC_BENCH_SUBTASKS) expect(data.questions.filter((x) => x.subtask === s)).toHaveLength(80);
    const mt = data.questions.find((x) => x.id === '81')!;
    expect(mt).toMatchObject({ subtask: 'mt_bench', category: 'writing' });
    expect(mt.turns).toHaveLength(2);
    expect(specBenchSubtask('humanities')).toBe('mt_bench');
    expect(specBenchSubtask('rag')).toBe('rag');
  });

  it('reads MBPP as one subtask and the story suite from the repository', async () => {
    const mbpp = await loadDatasetSource({ kind: 'mbpp' });
    expect(mbpp.subtasks).toEqual(['mbpp']);
    expect(mbpp.questions).toHaveLength(399);
    const stories = await loadDatasetSource({ kind: 'stories' });
    expect(stories.questions).toHaveLength(48);
    expect(stories.questions[0]).toMatchObject({
      id: 'story-01',
      subtask: 'stories',
      turns: ['Once upon a time, there was a little girl named Lily.'],
    });
  });

  it('names the file and line of a malformed question', () => {
    expect(() =>
      parseMtBenchFormat('{"question_id": 1, "category": "x", "turns": ["a"]}\n{"question_id": "2"}\n', 'q.jsonl', (c) => c),
    ).toThrow(/q\.jsonl:2: question_id: .*expected number.*\(got "2"\)/);
    expect(() => parseMtBenchFormat('{"question_id": 1, "category": "x", "turns": []}\n', 'q.jsonl', (c) => c)).toThrow(TrbenchError);
    expect(() => parseMtBenchFormat('not json\n', 'q.jsonl', (c) => c)).toThrow(/q\.jsonl:1: not valid JSON/);
  });
});

describe('generic JSONL', () => {
  it('maps fields, defaulting the id to the line number and the subtask to "all"', () => {
    const out = parseGenericJsonl('{"text": "hi"}\n\n{"text": "there"}\n', 'f.jsonl', { prompt: 'text' });
    expect(out).toEqual([
      { id: '1', subtask: 'all', category: 'all', turns: ['hi'] },
      { id: '3', subtask: 'all', category: 'all', turns: ['there'] },
    ]);
  });
  it('reads multi-turn conversations', () => {
    expect(parseGenericJsonl('{"id": 7, "t": ["a", "b"]}\n', 'f.jsonl', { id: 'id', turns: 't' })[0]).toMatchObject({
      id: '7',
      turns: ['a', 'b'],
    });
  });
  it('names the line and the mapping of a missing field, and duplicate ids', () => {
    expect(() => parseGenericJsonl('{"text": "hi"}\n{"txt": "x"}\n', 'f.jsonl', { prompt: 'text' })).toThrow(
      'f.jsonl:2: field "text" (fields.prompt) must be a string',
    );
    expect(() => parseGenericJsonl('{"id": 1, "p": "a"}\n{"id": 1, "p": "b"}\n', 'f.jsonl', { id: 'id', prompt: 'p' })).toThrow(
      /appears twice/,
    );
  });
});
