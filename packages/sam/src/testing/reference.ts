/**
 * A literal transcription of the authors' Python (hyx1999/SAM-Decoding at 18c41f0: `samd/sam/dyn_sam.py`,
 * `static_sam.py`, `draft.py`, `tree_model/token_recycle`), one Map per state, for tests only: the typed-array
 * drafters must produce the same drafts step by step.
 */
interface State {
  next: Map<number, number>;
  link: number;
  length: number;
  minEndpos: number;
}

export class ReferenceSam {
  states: State[] = [{ next: new Map(), link: -1, length: 0, minEndpos: 0 }];
  inputIds: number[] = [-1];
  last = 0;
  maxLength = 0;
  curIndex = 0;
  curLength = 0;

  addState(token: number): void {
    this.maxLength += 1;
    const cur = this.states.push({ next: new Map(), link: -1, length: this.maxLength, minEndpos: this.maxLength }) - 1;
    let p = this.last;
    while (p !== -1 && !this.states[p].next.has(token)) {
      this.states[p].next.set(token, cur);
      p = this.states[p].link;
    }
    if (p === -1) this.states[cur].link = 0;
    else {
      const q = this.states[p].next.get(token) as number;
      if (this.states[p].length + 1 === this.states[q].length) this.states[cur].link = q;
      else {
        const src = this.states[q];
        const clone = this.states.push({ next: new Map(src.next), link: src.link, length: src.length, minEndpos: src.minEndpos }) - 1;
        this.states[clone].length = this.states[p].length + 1;
        while (p !== -1 && this.states[p].next.get(token) === q) {
          this.states[p].next.set(token, clone);
          p = this.states[p].link;
        }
        this.states[q].link = clone;
        this.states[cur].link = clone;
      }
    }
    this.last = cur;
  }

  transferState(index: number, length: number, token: number): [number, number] {
    while (index !== 0 && !this.states[index].next.has(token)) {
      index = this.states[index].link;
      length = this.states[index].length;
    }
    if (this.states[index].next.has(token)) return [this.states[index].next.get(token) as number, length + 1];
    return [0, 0];
  }

  addTokens(tokens: number[]): void {
    for (const t of tokens) {
      [this.curIndex, this.curLength] = this.transferState(this.curIndex, this.curLength, t);
      this.addState(t);
    }
    this.inputIds.push(...tokens);
  }

  transferTokens(tokens: number[]): void {
    for (const t of tokens) [this.curIndex, this.curLength] = this.transferState(this.curIndex, this.curLength, t);
  }

  lookup(token: number): [number, number] {
    return this.transferState(this.curIndex, this.curLength, token);
  }

  toAnc(index: number, nPredicts: number): number {
    if (index !== 0) {
      let toEnd = this.maxLength - this.states[index].minEndpos;
      while (this.states[index].link !== 0 && nPredicts > toEnd) {
        index = this.states[index].link;
        toEnd = this.maxLength - this.states[index].minEndpos;
      }
    }
    return index;
  }

  genDraft(index: number, start: number, nPredicts: number): number[] {
    const endpos = this.states[index].minEndpos;
    const pred = [start, ...this.inputIds.slice(endpos + 1, endpos + nPredicts)];
    while (pred.length < nPredicts) pred.push(0);
    return pred;
  }
}

/** The authors' SAM[T] draft step (`DraftModel.lookup` + `TokenRecycle.gen_draft`) over reference state. */
export class ReferenceSamTr {
  dyn = new ReferenceSam();
  cache = new Map<number, number[]>();
  constructor(
    readonly stat: ReferenceSam,
    readonly tree: number[][],
    readonly nPredicts = 40,
    readonly threshold = 5,
    readonly bias = 5,
  ) {}

  reset(): void {
    this.dyn = new ReferenceSam();
    this.stat.curIndex = 0;
    this.stat.curLength = 0;
  }

  lookup(start: number): { type: 'dynamic' | 'static' | 'tree'; tokens: number[] } {
    const [iDyn, mDyn] = this.dyn.lookup(start);
    const [iStat, mStat0] = this.stat.lookup(start);
    const mStat = mStat0 - this.bias;
    if (Math.max(mDyn, mStat) >= this.threshold) {
      if (mDyn >= mStat) return { type: 'dynamic', tokens: this.dyn.genDraft(this.dyn.toAnc(iDyn, this.nPredicts), start, this.nPredicts) };
      return { type: 'static', tokens: this.stat.genDraft(iStat, start, this.nPredicts) };
    }
    const tokens = [start, ...new Array<number>(this.tree.length - 1).fill(0)];
    this.tree.forEach((children, node) => {
      const row = this.cache.get(tokens[node]);
      if (!row) return;
      children.forEach((child, i) => {
        tokens[child] = row[i];
      });
    });
    return { type: 'tree', tokens };
  }

  update(accepted: number[], fed: number[], topk: number[][]): void {
    this.dyn.addTokens(accepted);
    this.stat.transferTokens(accepted);
    fed.forEach((t, i) => this.cache.set(t, topk[i]));
  }
}

/** The authors' token_recycle.json adjacency (node → children), 61 nodes. */
export const AUTHORS_TR_TREE: number[][] = (() => {
  const adj: Record<number, number[]> = {
    0: [1, 2, 3, 4, 5, 6, 7],
    1: [8, 9, 10, 11, 12, 13],
    2: [14, 15, 16, 17, 18],
    3: [19, 20, 21],
    4: [22, 23],
    5: [24, 25],
    6: [26],
    7: [27],
    8: [28, 29, 30],
    9: [31, 32],
    10: [33, 34],
    11: [35],
    12: [36],
    14: [37, 38, 39],
    15: [40, 41],
    16: [42],
    17: [43],
    19: [44],
    20: [45],
    22: [46],
    24: [47],
    26: [48],
    28: [49, 50],
    29: [51],
    31: [52],
    37: [53, 54],
    40: [55],
    44: [56],
    49: [57, 58],
    51: [59],
    53: [60],
  };
  return Array.from({ length: 61 }, (_, i) => adj[i] ?? []);
})();
