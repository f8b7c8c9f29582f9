/** Prompt templates: how a conversation (user turns and the model's earlier answers) becomes prompt text. */
export const TEMPLATES = ['raw', 'vicuna', 'chatml'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** FastChat `vicuna_v1.1` system message, as Spec-Bench uses it (spec-bench.md §2). */
export const VICUNA_SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

export interface PromptTemplate {
  readonly name: TemplateName;
  /**
   * Prompt text for turn `questions.length - 1`: every user turn so far and the post-processed answers
   * to all but the last. BOS is not part of the text (the tokenizer adds it).
   */
  render(questions: readonly string[], answers: readonly string[]): string;
  /** Spec-Bench's answer post-processing: cut at the stop string when found past index 0, then trim. */
  postProcess(text: string): string;
}

function cutAt(text: string, stop: string | null): string {
  if (stop === null) return text.trim();
  const at = text.indexOf(stop);
  return (at > 0 ? text.slice(0, at) : text).trim();
}

/**
 * Raw text for base models such as stories260K (no roles). A multi-turn conversation continues the text:
 * each earlier turn contributes `question + " " + answer` (the answer is trimmed, so the space restores
 * the continuation) and turns are separated by a newline: turn 2 = `q1 + " " + a1 + "\n" + q2`.
 */
const raw: PromptTemplate = {
  name: 'raw',
  render(questions, answers) {
    const parts: string[] = [];
    for (let i = 0; i < questions.length - 1; i++) parts.push(answers[i] ? `${questions[i]} ${answers[i]}` : questions[i]);
    parts.push(questions[questions.length - 1]);
    return parts.join('\n');
  },
  postProcess: (text) => cutAt(text, null),
};

/**
 * FastChat `vicuna_v1.1` (style ADD_COLON_TWO, sep " ", sep2 "</s>"), exactly as spec-bench.md §2:
 * turn 1 `{system} USER: {q1} ASSISTANT:`, turn 2 `{system} USER: {q1} ASSISTANT: {a1}</s>USER: {q2} ASSISTANT:`.
 */
function vicuna(system: string): PromptTemplate {
  return {
    name: 'vicuna',
    render(questions, answers) {
      let out = `${system} `;
      for (let i = 0; i < questions.length; i++) {
        out += `USER: ${questions[i]} `;
        out += i < questions.length - 1 ? `ASSISTANT: ${answers[i] ?? ''}</s>` : 'ASSISTANT:';
      }
      return out;
    },
    postProcess: (text) => cutAt(text, '</s>'),
  };
}

/** ChatML (`<|im_start|>role\n...<|im_end|>\n`), with a system block only when a system message is given. */
function chatml(system: string | undefined): PromptTemplate {
  return {
    name: 'chatml',
    render(questions, answers) {
      let out = system === undefined ? '' : `<|im_start|>system\n${system}<|im_end|>\n`;
      for (let i = 0; i < questions.length; i++) {
        out += `<|im_start|>user\n${questions[i]}<|im_end|>\n<|im_start|>assistant\n`;
        if (i < questions.length - 1) out += `${answers[i] ?? ''}<|im_end|>\n`;
      }
      return out;
    },
    postProcess: (text) => cutAt(text, '<|im_end|>'),
  };
}

/** The template `name`; `system` replaces the default system message (vicuna) or adds one (chatml). */
export function promptTemplate(name: TemplateName, system?: string): PromptTemplate {
  switch (name) {
    case 'raw':
      return raw;
    case 'vicuna':
      return vicuna(system ?? VICUNA_SYSTEM);
    case 'chatml':
      return chatml(system);
  }
}
