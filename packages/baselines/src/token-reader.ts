/**
 * Read access to a token sequence by index. `TokenHistory` and `Int32Array` both satisfy it, so drafters
 * read the live history without creating a view per step, and tests pass plain typed arrays.
 */
export interface TokenReader {
  at(index: number): number | undefined;
}
