/** One combination of a method entry's parameter grid. */
export interface GridPoint {
  /** Parameter values of this combination (config order of keys). */
  params: Record<string, unknown>;
  /** For each parameter given as a list, the index taken from it (used to point errors at `k[1]`). */
  listIndex: Record<string, number>;
}

/**
 * Expands a method entry's params into the cartesian product of its lists. A list means "sweep these
 * values"; a parameter whose value is itself a list must be written as a list of lists. The first key
 * varies slowest, so variants come out in a stable, readable order. An empty list yields no point.
 */
export function expandGrid(params: Readonly<Record<string, unknown>>): GridPoint[] {
  let points: GridPoint[] = [{ params: {}, listIndex: {} }];
  for (const [key, value] of Object.entries(params)) {
    const next: GridPoint[] = [];
    for (const point of points) {
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          next.push({ params: { ...point.params, [key]: v }, listIndex: { ...point.listIndex, [key]: i } });
        });
      } else {
        next.push({ params: { ...point.params, [key]: value }, listIndex: point.listIndex });
      }
    }
    points = next;
  }
  return points;
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Stable label of a variant from the parameters written in the config: `tr[k=8,template=2.2.2]`, or `tr`. */
export function variantId(method: string, explicit: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(explicit).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length === 0 ? method : `${method}[${parts.join(',')}]`;
}
