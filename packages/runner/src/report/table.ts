/** Column alignment: text left, numbers right. */
export type Align = 'left' | 'right';

/**
 * A markdown table padded to aligned columns, so the same text reads well in a terminal and renders on
 * GitHub. Cells are plain strings (`|` is escaped).
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const all = [header.map(esc), ...rows.map((r) => r.map(esc))];
  const widths = header.map((_, c) => Math.max(3, ...all.map((r) => (r[c] ?? '').length)));
  const a = (c: number): Align => align?.[c] ?? (c === 0 ? 'left' : 'right');
  const pad = (s: string, c: number) => (a(c) === 'right' ? s.padStart(widths[c]) : s.padEnd(widths[c]));
  const line = (r: readonly string[]) => `| ${r.map((s, c) => pad(s ?? '', c)).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (a(c) === 'right' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(all[0]), rule, ...all.slice(1).map(line)].join('\n');
}

/** A number with fixed decimals, or `–` when missing. */
export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}
