/** The bench scripts' command-line options: `--name VALUE` pairs and bare `--flag`s (no library for a dozen scripts' few options). */

/** The value after `--name`; `fallback` when the option is absent; an error naming it when required and absent. */
export function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? undefined : process.argv[i + 1];
  if (value !== undefined && !value.startsWith('--')) return value;
  if (i >= 0) throw new Error(`--${name} needs a value`);
  if (fallback === undefined) throw new Error(`missing --${name}`);
  return fallback;
}

/** The value after `--name`, or undefined when the option is absent. */
export function optionalArg(name: string): string | undefined {
  return process.argv.includes(`--${name}`) ? arg(name) : undefined;
}

/** A comma-separated list of integers ≥ `min`, e.g. `--sizes 1,2,4`. */
export function ints(value: string, min = 1): number[] {
  return value.split(',').map((x) => {
    const v = Number(x);
    if (!Number.isInteger(v) || v < min) throw new Error(`expected integers >= ${min}, got ${value}`);
    return v;
  });
}
