/**
 * Small statistics helpers for distribution tests: the G-test of homogeneity on a 2×K table and the
 * chi-square survival function (regularised upper incomplete gamma, Numerical Recipes' series and
 * continued fraction).
 */

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
    -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPre) * h;
}

/** P(χ²_df ≥ x). */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export interface HomogeneityTest {
  g: number;
  df: number;
  pValue: number;
  /** Categories after pooling rare ones. */
  categories: number;
}

/**
 * G-test that two samples come from the same categorical distribution. Categories whose pooled count is
 * below `minPooled` are merged into one "other" category so the χ² approximation holds.
 */
export function gTestHomogeneity(a: Map<string, number>, b: Map<string, number>, minPooled = 10): HomogeneityTest {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const rows: Array<[number, number]> = [];
  let otherA = 0;
  let otherB = 0;
  for (const k of keys) {
    const x = a.get(k) ?? 0;
    const y = b.get(k) ?? 0;
    if (x + y < minPooled) {
      otherA += x;
      otherB += y;
    } else rows.push([x, y]);
  }
  if (otherA + otherB > 0) rows.push([otherA, otherB]);
  const na = rows.reduce((s, r) => s + r[0], 0);
  const nb = rows.reduce((s, r) => s + r[1], 0);
  const n = na + nb;
  let g = 0;
  for (const [x, y] of rows) {
    const total = x + y;
    const ea = (total * na) / n;
    const eb = (total * nb) / n;
    if (x > 0) g += x * Math.log(x / ea);
    if (y > 0) g += y * Math.log(y / eb);
  }
  g *= 2;
  const df = Math.max(1, rows.length - 1);
  return { g, df, pValue: chiSquareSurvival(g, df), categories: rows.length };
}
