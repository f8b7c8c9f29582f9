import { subtaskLabel } from './report-md.ts';
import { OVERALL, type Summary } from './summary.ts';

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `report.csv`: one line per model × dataset × method variant in the paper's Table 1 layout (a speedup
 * column per subtask, then overall MAT, tok/s and speedup), followed by the counts behind them. Numbers
 * are written in full precision; an empty cell means "not measured".
 */
export function renderReportCsv(summary: Summary): string {
  const subtasks: string[] = [];
  for (const d of summary.datasets) {
    if (d.subtasks.length < 2) continue; // one subtask: its speedup is the overall one
    for (const s of d.subtasks) if (!subtasks.includes(s)) subtasks.push(s);
  }
  const header = [
    'model',
    'dataset',
    'method',
    'variant',
    ...subtasks.map((s) => `speedup_${subtaskLabel(s)}`),
    'mat',
    'tokens_per_s',
    'tokens_per_s_std',
    'speedup',
    'tokens_per_s_pooled',
    'lossless_identical',
    'lossless_compared',
    'questions',
    'skipped',
    'new_tokens',
    'steps',
    'params',
  ];
  const lines = [header.join(',')];
  for (const overall of summary.rows.filter((r) => r.subtask === OVERALL)) {
    const same = summary.rows.filter((r) => r.model === overall.model && r.dataset === overall.dataset && r.variant === overall.variant);
    lines.push(
      [
        overall.model,
        overall.dataset,
        overall.method,
        overall.variant,
        ...subtasks.map((s) => same.find((r) => r.subtask === s)?.speedup ?? null),
        overall.mat,
        overall.tokensPerSecond,
        overall.tokensPerSecondStd,
        overall.speedup,
        overall.pooledTokensPerSecond,
        overall.lossless?.identical ?? null,
        overall.lossless?.compared ?? null,
        overall.questions,
        overall.skipped,
        overall.newTokens,
        overall.steps,
        JSON.stringify(overall.params),
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
