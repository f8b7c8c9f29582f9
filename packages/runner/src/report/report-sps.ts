import { parseTemplate } from '@trbench/token-recycling';
import { type MetricRow, ORACLE_DRAFT, OVERALL, type Summary, variantLabel } from './summary.ts';
import { fixed, markdownTable } from './table.ts';

/**
 * Acceptance rate of each draft position from a histogram of tokens committed per step (index = accepted
 * drafts + 1, the bonus included): rate i = P(draft i accepted | draft i − 1 accepted), i = 1 … positions.
 * Position = chain index, or depth in a tree. Null where no step reached the position.
 */
export function acceptanceByPosition(hist: readonly number[], positions: number): (number | null)[] {
  // reach[i]: steps that accepted at least i drafts.
  const reach = new Array<number>(positions + 1).fill(0);
  for (let len = 1; len < hist.length; len++) {
    const accepted = len - 1;
    for (let i = 0; i <= Math.min(accepted, positions); i++) reach[i] += hist[len];
  }
  return Array.from({ length: positions }, (_, j) => (reach[j] > 0 ? reach[j + 1] / reach[j] : null));
}

/** Draft positions of an `sps` configuration: γ for a chain, the depth of a tree. */
function positionsOf(row: MetricRow): number {
  const { tree, gamma } = row.params as { tree?: string; gamma?: number };
  if (typeof tree === 'string') {
    try {
      return parseTemplate(tree, 8).maxDepth;
    } catch {
      // A template file that moved since the run: fall back to the deepest step seen.
    }
  }
  if (typeof gamma === 'number' && typeof tree !== 'string') return gamma;
  return Math.max(1, row.acceptHistogram.length - 2);
}

/**
 * The draft-model section of report.md: for every `sps` variant (all subtasks together), the draft model, γ or tree, the acceptance rate per position and the draft model's share of
 * the decode steps' time. Empty when the run has no `sps` variant.
 */
export function renderSpsSection(summary: Summary): string[] {
  const rows = summary.rows.filter((r) => r.method === 'sps' && r.subtask === OVERALL && r.steps > 0);
  if (rows.length === 0) return [];
  const out: string[] = ['## Draft models (sps)', ''];
  for (const m of summary.models) {
    for (const d of summary.datasets) {
      const here = rows.filter((r) => r.model === m.id && r.dataset === d.id);
      if (here.length === 0) continue;
      const positions = Math.max(...here.map(positionsOf));
      const header = [
        'method',
        'draft model',
        'draft sha256',
        'draft backend',
        'shape',
        'MAT',
        ...Array.from({ length: positions }, (_, i) => `α${i + 1}`),
        'draft % of steps',
        'draft ms/step',
        'target fwd ms/step',
      ];
      const body = here.map((r) => {
        const p = r.params as { draftModel?: string; gamma?: number; tree?: string };
        const draft = r.draftModels?.[0];
        const rates = acceptanceByPosition(r.acceptHistogram, positionsOf(r));
        const stepMs = r.time.totalMs - r.time.prefillMs;
        return [
          variantLabel(summary, m.id, r.variant),
          String(p.draftModel ?? draft?.name ?? '–'),
          (r.draftModels ?? []).map((x) => x.sha256.slice(0, 12)).join(', ') || '–',
          draft ? `${draft.backend.name}, ${draft.backend.device}, ${draft.backend.threads} thr` : '–',
          typeof p.tree === 'string' ? `tree ${p.tree}` : `γ = ${p.gamma}`,
          fixed(r.mat, 2),
          ...Array.from({ length: positions }, (_, i) => fixed(rates[i], 2)),
          stepMs > 0 ? `${Math.round((100 * r.time.draftMs) / stepMs)}` : '–',
          fixed(r.time.draftMs / r.steps, 3),
          fixed(r.time.forwardMs / r.steps, 3),
        ];
      });
      out.push(`${m.id} · ${d.id}`, '', markdownTable(header, body, ['left', 'left', 'left', 'left', 'left']), '');
    }
  }
  out.push(
    "- **αi**: acceptance rate of draft position i (chain index, or tree depth) given position i − 1 was accepted, pooled over every step. A request's last step, cut at the new-token limit or by EOS, counts as stopping where it was cut, so even a draft identical to the target shows a little below 1 at the positions where the cuts fall.",
    `- **${ORACLE_DRAFT}**: the draft model computes the target's function (both hold the same source weights, e.g. twins of stories260K): its acceptance is what a perfect cheap draft would give, not what a real draft gets.`,
    "- **draft % of steps**: the draft model's time (its catch-up, drafting forwards and rollback) as a share of the decode steps' wall time (prefill excluded; the draft model's own prompt prefill counts as prefill).",
    '',
  );
  return out;
}
