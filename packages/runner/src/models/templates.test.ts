import { describe, expect, it } from 'vitest';
import { promptTemplate, VICUNA_SYSTEM } from './templates.ts';

describe('prompt templates', () => {
  it('vicuna v1.1 renders exactly the strings of spec-bench.md §2', () => {
    const t = promptTemplate('vicuna');
    expect(t.render(['Q1'], [])).toBe(`${VICUNA_SYSTEM} USER: Q1 ASSISTANT:`);
    expect(t.render(['Q1', 'Q2'], ['A1'])).toBe(`${VICUNA_SYSTEM} USER: Q1 ASSISTANT: A1</s>USER: Q2 ASSISTANT:`);
    expect(VICUNA_SYSTEM).toBe(
      "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.",
    );
  });

  it('post-processes answers as Spec-Bench: cut at the stop string past index 0, then strip', () => {
    const t = promptTemplate('vicuna');
    expect(t.postProcess('  Hello there.</s>USER: more ')).toBe('Hello there.');
    expect(t.postProcess('</s> kept')).toBe('</s> kept');
  });

  it('raw continues the text: turn 2 = q1 + " " + a1 + "\\n" + q2', () => {
    const t = promptTemplate('raw');
    expect(t.render(['Once upon a time'], [])).toBe('Once upon a time');
    expect(t.render(['Once upon a time', 'The end.'], ['there was a cat.'])).toBe('Once upon a time there was a cat.\nThe end.');
    expect(t.render(['A', 'B'], [''])).toBe('A\nB');
    expect(t.postProcess(' there was a cat. \n')).toBe('there was a cat.');
  });

  it('chatml adds a system block only when given one', () => {
    expect(promptTemplate('chatml').render(['Q1', 'Q2'], ['A1'])).toBe(
      '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(promptTemplate('chatml', 'Be brief.').render(['Q1'], [])).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(promptTemplate('chatml').postProcess('A1<|im_end|>\nleftover')).toBe('A1');
  });
});
