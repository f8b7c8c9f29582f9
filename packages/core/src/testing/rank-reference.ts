/**
 * The simple definition of host ranking that predictions.ts must reproduce bit for bit: a full sort by
 * (logit descending, id ascending), −0 equal to +0, NaN after every number; and log-sum-exp as a plain f64
 * sum of Math.exp over the non-NaN logits (−Infinity when there is no finite one).
 */
export function referenceTopK(row: ArrayLike<number>, k: number): { ids: number[]; logits: number[] } {
  const order = Array.from({ length: row.length }, (_, id) => id).sort((a, b) => {
    const x = row[a];
    const y = row[b];
    const nx = Number.isNaN(x);
    const ny = Number.isNaN(y);
    if (nx || ny) return nx && ny ? a - b : nx ? 1 : -1;
    return x > y ? -1 : x < y ? 1 : a - b;
  });
  const ids = order.slice(0, k);
  return { ids, logits: ids.map((id) => row[id]) };
}

export function referenceLogSumExp(row: ArrayLike<number>, invT = 1): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i])) sum += Math.exp((row[i] - max) * invT);
  return max * invT + Math.log(sum);
}
