/**
 * An error caused by the user's input or environment (bad file, bad option, missing asset). The CLI
 * prints its message as one line and exits non-zero; anything else is a bug and keeps its stack.
 */
export class TrbenchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrbenchError';
  }
}
