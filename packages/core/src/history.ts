/**
 * The token sequence of one request: prompt followed by generated tokens, in one preallocated buffer.
 * Drafters read it to find matches (PLD, REST, suffix trees); the decode loop appends to it.
 */
export class TokenHistory {
  private buffer: Int32Array;
  /** Tokens in use. */
  length = 0;
  /** Number of prompt tokens at the start. */
  promptLength = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Int32Array(Math.max(16, initialCapacity));
  }

  /** Starts a request with `prompt`, reserving room for `maxNew` more tokens. */
  begin(prompt: ArrayLike<number>, maxNew: number): void {
    const need = prompt.length + maxNew + 8;
    if (need > this.buffer.length) this.buffer = new Int32Array(need);
    this.buffer.set(prompt as ArrayLike<number>, 0);
    this.length = prompt.length;
    this.promptLength = prompt.length;
  }

  push(token: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Int32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = token;
  }

  /** Token at index i (0 = first prompt token). */
  at(i: number): number {
    return this.buffer[i];
  }

  /** Live view of all tokens (valid until the next push). */
  view(): Int32Array {
    return this.buffer.subarray(0, this.length);
  }

  /** The generated tokens (a live view). */
  generated(): Int32Array {
    return this.buffer.subarray(this.promptLength, this.length);
  }

  /** The last token. */
  get last(): number {
    return this.buffer[this.length - 1];
  }
}
