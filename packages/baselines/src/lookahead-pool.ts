/**
 * Lookahead's n-gram pool: for each key token, at most `capacity` tuples of `tupleLength` tokens, kept in
 * LRU order (oldest first), exactly as LADE's `token_map` with `GUESS_SET_SIZE` >= 0: inserting a tuple that
 * is present moves it to the tail; inserting into a full list drops the head.
 *
 * `capacity` -1 is LADE's `GUESS_SET_SIZE = -1`: every distinct tuple is kept (a set per key; inserting a
 * present tuple changes nothing), in first-insertion order here where LADE's Python set has its hash order.
 *
 * Storage is one growable Int32Array of per-key slots (a key gets a slot the first time it is used), so
 * memory follows the keys actually seen and inserts allocate only when a new slot does not fit (amortised);
 * an unbounded pool gives each slot its own growable array instead.
 */
export class NgramPool {
  readonly tupleLength: number;
  readonly capacity: number;
  private readonly slotOfKey: Int32Array;
  private sizes: Int32Array;
  private data: Int32Array;
  private slotCount = 0;
  private readonly usedKeys: Int32Array;
  private readonly slotStride: number;
  /** Unbounded pool (capacity -1): each slot's tuples, grown by doubling. */
  private readonly open: Int32Array[] = [];

  constructor(vocabSize: number, tupleLength: number, capacity: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`vocabSize must be >= 1, got ${vocabSize}`);
    if (!Number.isInteger(tupleLength) || tupleLength < 1) throw new RangeError(`tupleLength must be >= 1, got ${tupleLength}`);
    if (!Number.isInteger(capacity) || capacity < -1)
      throw new RangeError(`pool capacity per key must be >= 0, or -1 (unbounded), got ${capacity}`);
    this.tupleLength = tupleLength;
    this.capacity = capacity;
    this.slotStride = Math.max(0, capacity) * tupleLength;
    this.slotOfKey = new Int32Array(vocabSize).fill(-1);
    this.usedKeys = new Int32Array(vocabSize);
    const initialSlots = 64;
    this.sizes = new Int32Array(initialSlots);
    this.data = new Int32Array(initialSlots * this.slotStride);
  }

  /** Number of tuples stored for `key`. */
  size(key: number): number {
    const slot = this.slotOfKey[key];
    return slot < 0 ? 0 : this.sizes[slot];
  }

  /** Number of keys with at least one tuple. */
  get keyCount(): number {
    return this.slotCount;
  }

  /** Token `j` of the `rank`-th tuple of `key` (rank 0 = least recently inserted). */
  token(key: number, rank: number, j: number): number {
    const slot = this.slotOfKey[key];
    if (this.capacity < 0) return this.open[slot][rank * this.tupleLength + j];
    return this.data[slot * this.slotStride + rank * this.tupleLength + j];
  }

  /** Inserts `tuple[offset .. offset+tupleLength)` under `key` with LADE's LRU rule. */
  insert(key: number, tuple: ArrayLike<number>, offset = 0): void {
    if (this.capacity === 0) return;
    const L = this.tupleLength;
    let slot = this.slotOfKey[key];
    if (slot < 0) slot = this.newSlot(key);
    if (this.capacity < 0) {
      this.insertUnbounded(slot, tuple, offset);
      return;
    }
    const base = slot * this.slotStride;
    const data = this.data;
    const size = this.sizes[slot];
    let found = -1;
    for (let r = 0; r < size && found < 0; r++) {
      let j = 0;
      while (j < L && data[base + r * L + j] === tuple[offset + j]) j++;
      if (j === L) found = r;
    }
    // Present: remove it (shift the newer ones down) and re-append. Full: drop the oldest the same way.
    let removeAt = found;
    let newSize = size;
    if (found < 0) {
      if (size < this.capacity) {
        newSize = size + 1;
        removeAt = -1;
      } else {
        removeAt = 0;
      }
    }
    if (removeAt >= 0) data.copyWithin(base + removeAt * L, base + (removeAt + 1) * L, base + size * L);
    const tail = base + (newSize - 1) * L;
    for (let j = 0; j < L; j++) data[tail + j] = tuple[offset + j];
    this.sizes[slot] = newSize;
  }

  /** Set insert: appended unless present. */
  private insertUnbounded(slot: number, tuple: ArrayLike<number>, offset: number): void {
    const L = this.tupleLength;
    let data = this.open[slot];
    const size = this.sizes[slot];
    for (let r = 0; r < size; r++) {
      let j = 0;
      while (j < L && data[r * L + j] === tuple[offset + j]) j++;
      if (j === L) return;
    }
    if ((size + 1) * L > data.length) {
      const grown = new Int32Array(data.length * 2);
      grown.set(data);
      data = grown;
      this.open[slot] = grown;
    }
    for (let j = 0; j < L; j++) data[size * L + j] = tuple[offset + j];
    this.sizes[slot] = size + 1;
  }

  /** Forgets every tuple (keeps the buffers). */
  clear(): void {
    for (let i = 0; i < this.slotCount; i++) this.slotOfKey[this.usedKeys[i]] = -1;
    this.slotCount = 0;
  }

  private newSlot(key: number): number {
    const slot = this.slotCount++;
    if (slot >= this.sizes.length) {
      const sizes = new Int32Array(this.sizes.length * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
      const data = new Int32Array(sizes.length * this.slotStride);
      data.set(this.data);
      this.data = data;
    }
    this.sizes[slot] = 0;
    if (this.capacity < 0 && this.open.length <= slot) this.open.push(new Int32Array(8 * this.tupleLength));
    this.slotOfKey[key] = slot;
    this.usedKeys[slot] = key;
    return slot;
  }
}
