/**
 * Four SIMD WebAssembly loops for the host's hot path over full logits rows, assembled here byte by byte
 * (no toolchain, no dependency; WebAssembly SIMD is on in every Node ≥ 16):
 *
 * - `scanAbove(p, end, t)`: the first 64-byte block (16 floats) in `[p, end)` holding a value `> t`, or
 *   `end`. Top-k selection skips every block whose values are all ≤ the current k-th logit, so it reads
 *   a row at memory speed and does scalar work only on the few blocks that can change the top-k.
 *   `f32x4.gt` is false for NaN, so a block of NaNs is skipped like a block below the threshold.
 * - `maxOf(p, end)`: the largest non-NaN float in `[p, end)` (a multiple of 16), −Infinity if none, as a
 *   scalar `if (x > max) max = x` loop finds it: `f32x4.pmax(acc, x)` keeps `acc` when `x` is NaN.
 * - `sumExp(p, end, max, invT)`: Σ exp((x − max)·invT) over the floats in `[p, end)` (a multiple of 8).
 *   The exp runs in f32x4 lanes, as inference engines' softmax does (4 terms per instruction where an f64
 *   exp does 2: 0.76–1.24 → 0.39 ms for 7 rows of 32,000): d = (x − max)·invT in f32, Cody–Waite reduction
 *   (r = d − n·ln2, |r| ≤ ln2/2) and Cephes' expf polynomial (about 1 ulp), scaled by 2ⁿ built in the
 *   exponent bits. A term is within (2 + |d|)·1.2e-7 relative of exp(d) (d's own f32 rounding is the |d|
 *   part); terms are summed in f64, so the sum, dominated by terms with small |d|, is within ~1e-6.
 *   Terms with d < −60 (and NaN) are dropped: with x ≤ max their total is below count·e⁻⁶⁰ ≈ count·9e-27 of
 *   the sum, whose largest term is 1.
 *
 * The data must be in this module's memory: {@link RankKernel.floats} and {@link RankKernel.doubles} view it,
 * valid until {@link RankKernel.reserve} grows the memory (read them again after each reserve).
 */
// The WebAssembly globals Node provides (the project's lib settings carry no DOM types): just what is used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export class RankKernel {
  private readonly memory: WasmMemory;
  private readonly scanFn: (p: number, end: number, t: number) => number;
  private readonly sumExpFn: (p: number, end: number, max: number, invT: number) => number;
  private readonly expIntoFn: (p: number, end: number, max: number, invT: number, dst: number) => number;
  private readonly maxOfFn: (p: number, end: number) => number;
  floats: Float32Array;
  doubles: Float64Array;

  private constructor() {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleModule()));
    const exports = instance.exports as unknown as {
      memory: WasmMemory;
      scan: RankKernel['scanFn'];
      sumExp: RankKernel['sumExpFn'];
      expInto: RankKernel['expIntoFn'];
      maxOf: RankKernel['maxOfFn'];
    };
    this.memory = exports.memory;
    this.scanFn = exports.scan;
    this.sumExpFn = exports.sumExp;
    this.expIntoFn = exports.expInto;
    this.maxOfFn = exports.maxOf;
    this.floats = new Float32Array(this.memory.buffer);
    this.doubles = new Float64Array(this.memory.buffer);
  }

  private static shared: RankKernel | null | undefined;

  /** The process's kernel, or null where WebAssembly SIMD is unavailable (callers fall back to plain JS). */
  static get(): RankKernel | null {
    if (RankKernel.shared === undefined) {
      try {
        RankKernel.shared = new RankKernel();
      } catch {
        RankKernel.shared = null;
      }
    }
    return RankKernel.shared;
  }

  /**
   * A kernel of its own with `bytes` of memory, for a caller that keeps typed-array views into it (they
   * stay valid because nothing else reserves on it); null where WebAssembly SIMD is unavailable.
   */
  static create(bytes: number): RankKernel | null {
    if (RankKernel.get() === null) return null;
    const kernel = new RankKernel();
    kernel.reserve(bytes);
    return kernel;
  }

  /** Makes `bytes` bytes addressable; refreshes {@link floats} and {@link doubles} when the memory grows. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.floats.buffer !== this.memory.buffer || this.floats.length === 0) {
      this.floats = new Float32Array(this.memory.buffer);
      this.doubles = new Float64Array(this.memory.buffer);
    }
  }

  /** First index `i` in `[from, to)`, `from` and `to − from` multiples of 16 apart, whose 16-float block has a value `> t`; `to` if none. */
  scanAbove(from: number, to: number, t: number): number {
    return this.scanFn(from * 4, to * 4, t) >>> 2;
  }

  /** Largest non-NaN `floats[i]` for i in `[from, to)`, `to − from` a multiple of 16; −Infinity if none. */
  maxOf(from: number, to: number): number {
    return this.maxOfFn(from * 4, to * 4);
  }

  /**
   * Σ exp((floats[i] − max)·invT) for i in `[from, to)`, `to − from` a multiple of {@link EXP_BLOCK}; `max` and
   * `invT` are taken as f32 (see the class comment for the error bound).
   */
  sumExp(from: number, to: number, max: number, invT: number): number {
    return this.sumExpFn(from * 4, to * 4, max, invT);
  }

  /** As {@link sumExp}, also writing each term to `doubles[dst + i − from]` (`dst` even). */
  expInto(from: number, to: number, max: number, invT: number, dst: number): number {
    return this.expIntoFn(from * 4, to * 4, max, invT, dst * 8);
  }
}

/**
 * Initial memory: 256 KB, more than the chunked callers in predictions.ts ever reserve (32 KB of floats +
 * 64 KB of terms), so that the memory normally never grows: growing detaches the old ArrayBuffer, and the
 * first detach in a process makes V8 drop optimised code that reads typed arrays (seen here as a 10×
 * slower ranking for a while after a grow).
 */
const INITIAL_PAGES = 4;

/** Floats per block of `scanAbove`. */
export const SCAN_BLOCK = 16;
/** Floats per turn of `sumExp` / `expInto`: the range they take is a multiple of it. */
export const EXP_BLOCK = 8;

// ---- a tiny assembler for the functions above -------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function f64const(x: number): number[] {
  const bytes = new Uint8Array(new Float64Array([x]).buffer);
  return [0x44, ...bytes];
}

/** A SIMD instruction (0xFD prefix, LEB opcode). */
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];

const OP = {
  load: 0x00,
  store: 0x0b,
  load64zero: 0x5d,
  f32x4splat: 0x13,
  f64x2splat: 0x14,
  i64x2splat: 0x12,
  f64x2extractLane: 0x21,
  f32x4extractLane: 0x1f,
  f32x4gt: 0x44,
  f32x4pmax: 0xeb,
  f64x2gt: 0x4a,
  and: 0x4e,
  or: 0x50,
  anyTrue: 0x53,
  f64x2promoteLow: 0x5f,
  f64x2nearest: 0x94,
  i64x2extendLowI32x4s: 0xc7,
  i64x2shl: 0xcb,
  i64x2add: 0xce,
  f64x2add: 0xf0,
  f64x2sub: 0xf1,
  f64x2mul: 0xf2,
  f64x2pmax: 0xf7,
  i32x4truncSatF64x2sZero: 0xfc,
  i8x16shuffle: 0x0d,
  i32x4splat: 0x11,
  f32x4nearest: 0x6a,
  i32x4shl: 0xab,
  i32x4add: 0xae,
  f32x4add: 0xe4,
  f32x4sub: 0xe5,
  f32x4mul: 0xe6,
  i32x4truncSatF32x4s: 0xf8,
} as const;

function scanBody(): { locals: number[]; code: number[] } {
  // params: 0 p, 1 end, 2 t(f32); locals: 3 t splat
  const code: number[] = [...get(2), ...simd(OP.f32x4splat), ...set(3), 0x02, 0x40, 0x03, 0x40];
  code.push(...get(0), ...get(1), 0x4f /* i32.ge_u */, 0x0d, 1);
  for (let j = 0; j < 4; j++) {
    code.push(...get(0), ...simd(OP.load, 2, ...uleb(16 * j)), ...get(3), ...simd(OP.f32x4gt));
    if (j > 0) code.push(...simd(OP.or));
  }
  code.push(...simd(OP.anyTrue), 0x0d, 1);
  code.push(...get(0), 0x41, ...sleb(64), 0x6a /* i32.add */, ...set(0), 0x0c, 0, 0x0b, 0x0b, ...get(0), 0x0b);
  return { locals: [1, 1, V128], code };
}

function f32const(x: number): number[] {
  return [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
}

function maxOfBody(): { locals: number[]; code: number[] } {
  // params: 0 p, 1 end; locals: four v128 accumulators (independent chains), then the f32 result m and lane v
  const [P, END] = [0, 1];
  const ACC = [2, 3, 4, 5];
  const [M, V] = [6, 7];
  const code: number[] = [];
  for (const a of ACC) code.push(...f32const(Number.NEGATIVE_INFINITY), ...simd(OP.f32x4splat), ...set(a));
  code.push(0x02, 0x40, 0x03, 0x40, ...get(P), ...get(END), 0x4f, 0x0d, 1);
  ACC.forEach((a, j) => code.push(...get(a), ...get(P), ...simd(OP.load, 2, ...uleb(16 * j)), ...simd(OP.f32x4pmax), ...set(a)));
  code.push(...get(P), 0x41, ...sleb(64), 0x6a, ...set(P), 0x0c, 0, 0x0b, 0x0b);
  // Fold the accumulators lane-wise, then the four lanes with `v > m ? v : m` (NaN never enters).
  code.push(...get(ACC[0]), ...get(ACC[1]), ...simd(OP.f32x4pmax), ...get(ACC[2]), ...simd(OP.f32x4pmax));
  code.push(...get(ACC[3]), ...simd(OP.f32x4pmax), ...set(ACC[0]));
  code.push(...get(ACC[0]), ...simd(OP.f32x4extractLane, 0), ...set(M));
  for (let lane = 1; lane < 4; lane++) {
    code.push(...get(ACC[0]), ...simd(OP.f32x4extractLane, lane), 0x22 /* local.tee */, V, ...get(M), ...get(V), ...get(M));
    code.push(0x5e /* f32.gt */, 0x1b /* select */, ...set(M));
  }
  code.push(...get(M), 0x0b);
  return { locals: [2, 4, V128, 2, F32], code };
}

/**
 * Σ exp((x − max)·invT) in f32x4 lanes, 8 floats per turn in two chains, terms promoted to f64 and summed in
 * f64x2 lanes: Cephes' expf (Cody–Waite with ln 2 = 0.693359375 − 2.12194440e-4, a degree-7 polynomial,
 * about 1 ulp), scaled by 2ⁿ built in the exponent bits; d = (x − max)·invT in f32 (its rounding moves a
 * term by |d|·6e-8 relative, on the terms that matter |d| ≲ 10). Terms with d < −60 (and NaN) are dropped.
 */
function sumExpBody(store: boolean): { locals: number[]; code: number[] } {
  // params: 0 p, 1 end, 2 max(f32), 3 invT(f32)[, 4 dst]
  const [P, END, MAX, INVT, DST] = [0, 1, 2, 3, 4];
  const first = store ? 5 : 4;
  let next = first;
  const local = () => next++;
  const VMAX = local();
  const VINVT = local();
  const ACC = [local(), local()];
  const CUT = local();
  const LOG2E = local();
  const LN2HI = local();
  const LN2LO = local();
  const BIAS = local();
  const ONE = local();
  const coeffs = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const C = coeffs.map(() => local());
  const chain = [0, 1].map(() => ({ d: local(), n: local(), r: local(), y: local() }));
  const splat = (x: number) => [...f32const(x), ...simd(OP.f32x4splat)];
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const code: number[] = [];
  code.push(...get(MAX), ...simd(OP.f32x4splat), ...set(VMAX));
  code.push(...get(INVT), ...simd(OP.f32x4splat), ...set(VINVT));
  for (const a of ACC) code.push(...f64const(0), ...simd(OP.f64x2splat), ...set(a));
  code.push(...splat(-60), ...set(CUT), ...splat(Math.LOG2E), ...set(LOG2E), ...splat(1), ...set(ONE));
  code.push(...splat(0.693359375), ...set(LN2HI), ...splat(-2.1219444e-4), ...set(LN2LO));
  code.push(0x41, ...sleb(127), ...simd(OP.i32x4splat), ...set(BIAS));
  coeffs.forEach((c, i) => code.push(...splat(c), ...set(C[i])));
  code.push(0x02, 0x40, 0x03, 0x40, ...get(P), ...get(END), 0x4f, 0x0d, 1);
  chain.forEach(({ d, n, r, y }, j) => {
    // d = max(−60, (x − max) · invT); pmax keeps −60 for NaN as well
    code.push(...get(CUT), ...get(P), ...simd(OP.load, 2, 16 * j), ...get(VMAX), ...simd(OP.f32x4sub));
    code.push(...get(VINVT), ...simd(OP.f32x4mul), ...simd(OP.f32x4pmax), ...set(d));
    // n = nearest(d · log2 e); r = d − n·ln2hi − n·ln2lo
    code.push(...get(d), ...get(LOG2E), ...simd(OP.f32x4mul), ...simd(OP.f32x4nearest), ...set(n));
    code.push(...get(d), ...get(n), ...get(LN2HI), ...simd(OP.f32x4mul), ...simd(OP.f32x4sub));
    code.push(...get(n), ...get(LN2LO), ...simd(OP.f32x4mul), ...simd(OP.f32x4sub), ...set(r));
    // y = (((((c0·r + c1)·r + c2)·r + c3)·r + c4)·r + c5)·r² + r + 1
    code.push(...get(C[0]), ...set(y));
    for (let i = 1; i < coeffs.length; i++) {
      code.push(...get(y), ...get(r), ...simd(OP.f32x4mul), ...get(C[i]), ...simd(OP.f32x4add), ...set(y));
    }
    code.push(...get(y), ...get(r), ...get(r), ...simd(OP.f32x4mul), ...simd(OP.f32x4mul), ...get(r), ...simd(OP.f32x4add));
    code.push(...get(ONE), ...simd(OP.f32x4add));
    // · 2ⁿ with 2ⁿ = ((i32) n + 127) << 23, kept only where d > −60 (drops the cut terms and NaN)
    code.push(...get(n), ...simd(OP.i32x4truncSatF32x4s), ...get(BIAS), ...simd(OP.i32x4add), 0x41, 23, ...simd(OP.i32x4shl));
    code.push(...simd(OP.f32x4mul), ...get(d), ...get(CUT), ...simd(OP.f32x4gt), ...simd(OP.and), ...set(y));
    // f64 terms: lanes 0–1, then lanes 2–3 moved down
    if (store) {
      code.push(...get(DST), ...get(y), ...simd(OP.f64x2promoteLow), ...simd(OP.store, 3, ...uleb(32 * j)));
      code.push(...get(DST), ...get(y), ...get(y), ...simd(OP.i8x16shuffle, ...high), ...simd(OP.f64x2promoteLow));
      code.push(...simd(OP.store, 3, ...uleb(32 * j + 16)));
    }
    code.push(...get(ACC[j]), ...get(y), ...simd(OP.f64x2promoteLow), ...simd(OP.f64x2add));
    code.push(...get(y), ...get(y), ...simd(OP.i8x16shuffle, ...high), ...simd(OP.f64x2promoteLow), ...simd(OP.f64x2add), ...set(ACC[j]));
  });
  code.push(...get(P), 0x41, 32, 0x6a, ...set(P));
  if (store) code.push(...get(DST), 0x41, ...sleb(64), 0x6a, ...set(DST));
  code.push(0x0c, 0, 0x0b, 0x0b);
  code.push(...get(ACC[0]), ...get(ACC[1]), ...simd(OP.f64x2add), ...set(ACC[0]));
  code.push(...get(ACC[0]), ...simd(OP.f64x2extractLane, 0), ...get(ACC[0]), ...simd(OP.f64x2extractLane, 1), 0xa0 /* f64.add */, 0x0b);
  return { locals: [1, ...uleb(next - first), V128], code };
}

function assembleModule(): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const types = vec([
    [0x60, 3, I32, I32, F32, 1, I32],
    [0x60, 2, I32, I32, 1, F32],
    [0x60, 4, I32, I32, F32, F32, 1, F64],
    [0x60, 5, I32, I32, F32, F32, I32, 1, F64],
  ]);
  const bodies = [scanBody(), maxOfBody(), sumExpBody(false), sumExpBody(true)].map(({ locals, code }) => {
    const body = [...locals, ...code];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(3, vec([[0], [1], [2], [3]])),
    ...section(5, vec([[0x00, INITIAL_PAGES]])),
    ...section(
      7,
      vec([
        [...name('scan'), 0x00, 0],
        [...name('maxOf'), 0x00, 1],
        [...name('sumExp'), 0x00, 2],
        [...name('expInto'), 0x00, 3],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec(bodies)),
  ]);
}
