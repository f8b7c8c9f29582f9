/** What drafted one step (`Drafter.lastDraftSource`): a dynamic or static SAM chain or tree, TR's tree, or nothing. */
export type DraftSource = 'sam-dynamic' | 'sam-static' | 'tr-tree' | 'none';

/** The sources in the order counters index them. */
export const DRAFT_SOURCES: readonly DraftSource[] = ['sam-dynamic', 'sam-static', 'tr-tree', 'none'];

/** Per-source step and token counts: the paper's Fig. 9 (share of steps and MAT per draft source). */
export class SourceCounters {
  /** Steps drafted by each source (index = position in {@link DRAFT_SOURCES}). */
  readonly steps = new Float64Array(DRAFT_SOURCES.length);
  /** Tokens committed by those steps (accepted drafts + bonus, cut at the request's stop). */
  readonly tokens = new Float64Array(DRAFT_SOURCES.length);

  clear(): void {
    this.steps.fill(0);
    this.tokens.fill(0);
  }

  add(source: number, committed: number): void {
    this.steps[source]++;
    this.tokens[source] += committed;
  }

  /** `{ source: { steps, tokens, mat } }` for the sources that drafted at least one step. */
  summary(): Record<string, { steps: number; tokens: number; mat: number }> {
    const out: Record<string, { steps: number; tokens: number; mat: number }> = {};
    DRAFT_SOURCES.forEach((name, i) => {
      if (this.steps[i] > 0) out[name] = { steps: this.steps[i], tokens: this.tokens[i], mat: this.tokens[i] / this.steps[i] };
    });
    return out;
  }
}
