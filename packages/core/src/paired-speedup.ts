/**
 * Speedup over AR from paired measurements, with a 95 % confidence interval.
 *
 * The sweep runs every method on a question right after the others (rotating order), so the ratio of a
 * method's tok/s to AR's on the same question and repeat is a paired measurement: drift of a shared
 * machine moves both sides. Per pair we take the log ratio (speed is multiplicative: a tree twice as fast
 * and one half as fast are equally far from 1); the speedup is exp of the mean over questions of each
 * question's mean log ratio over repeats, i.e. the geometric mean of per-question ratios.
 *
 * The interval is a Student-t interval on that mean of log ratios, for the questions of the run as a
 * fixed set (the population Spec-Bench's numbers are about, and what a CI regression gate re-measures):
 * - with repeats, its variance comes from the spread of each question's log ratio over its repeats
 *   (pooled within-question variance, Σ(repeats − 1) degrees of freedom): timing noise only, since the
 *   questions themselves do not change between runs;
 * - with a single repeat, no pure timing noise can be measured, so the spread of the per-question ratios
 *   is used (Q − 1 degrees of freedom). That also counts how much the speedup differs between questions,
 *   which makes the interval wider (conservative) for the same question set.
 * A t-interval rather than a bootstrap: it is exact for normal log ratios, deterministic without a seed,
 * and not too narrow with 8 questions, where a percentile bootstrap is.
 */

export interface PairedSpeedup {
  /** Geometric mean over questions of (method tok/s ÷ AR tok/s) on the same question and repeat. */
  estimate: number;
  /** 95 % interval; null when it cannot be estimated (fewer than two pairs to estimate noise from). */
  low: number | null;
  high: number | null;
  /** Questions with at least one pair, and pairs (question × repeat) behind the estimate. */
  questions: number;
  pairs: number;
  /** Where the interval's variance comes from (see the module comment). */
  interval: 'repeats' | 'questions' | null;
}

/** What a pair needs from a record. */
export interface Timed {
  questionId: string;
  repeat: number;
  newTokens: number;
  wallMs: number;
}

const LEVEL = 0.95;

function tokensPerSecond(r: Timed): number {
  return r.wallMs > 0 && r.newTokens > 0 ? (r.newTokens * 1000) / r.wallMs : Number.NaN;
}

/**
 * Paired speedup of `method` records over `reference` (AR) records: pairs are the (question, repeat)
 * both finished. Null when no pair exists.
 */
export function pairedSpeedup(method: readonly Timed[], reference: readonly Timed[]): PairedSpeedup | null {
  const ref = new Map(reference.map((r) => [`${r.repeat}\u0000${r.questionId}`, r]));
  const byQuestion = new Map<string, number[]>();
  for (const r of method) {
    const b = ref.get(`${r.repeat}\u0000${r.questionId}`);
    if (!b) continue;
    const x = Math.log(tokensPerSecond(r) / tokensPerSecond(b));
    if (!Number.isFinite(x)) continue;
    let list = byQuestion.get(r.questionId);
    if (!list) byQuestion.set(r.questionId, (list = []));
    list.push(x);
  }
  const groups = [...byQuestion.values()];
  const q = groups.length;
  if (q === 0) return null;
  const means = groups.map((g) => g.reduce((s, x) => s + x, 0) / g.length);
  const center = means.reduce((s, x) => s + x, 0) / q;
  const pairs = groups.reduce((s, g) => s + g.length, 0);

  let variance = Number.NaN;
  let df = 0;
  let interval: PairedSpeedup['interval'] = null;
  const withinDf = pairs - q;
  if (withinDf >= 1) {
    let ss = 0;
    groups.forEach((g, i) => {
      for (const x of g) ss += (x - means[i]) ** 2;
    });
    const s2 = ss / withinDf;
    // Var(mean over questions of per-question means) = s² / Q² · Σ 1 / n_q
    variance = (s2 / (q * q)) * groups.reduce((s, g) => s + 1 / g.length, 0);
    df = withinDf;
    interval = 'repeats';
  } else if (q >= 2) {
    const s2 = means.reduce((s, x) => s + (x - center) ** 2, 0) / (q - 1);
    variance = s2 / q;
    df = q - 1;
    interval = 'questions';
  }
  if (interval === null) return { estimate: Math.exp(center), low: null, high: null, questions: q, pairs, interval };
  const half = studentTQuantile(0.5 + LEVEL / 2, df) * Math.sqrt(variance);
  return { estimate: Math.exp(center), low: Math.exp(center - half), high: Math.exp(center + half), questions: q, pairs, interval };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
    -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile(${p}, ${df})`);
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
