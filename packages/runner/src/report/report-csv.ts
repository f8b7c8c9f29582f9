import { subtaskLabel } from './report-md.ts';
import { OVERALL, type Summary } from './summary.ts';

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `report.csv`: one line per model × dataset × method variant in the paper's Table 1 layout (a paired
 * speedup column per subtask, then overall MAT, tok/s and paired speedup with its 95 % interval), then
 * Spec-Bench's speedup, the counts behind them and µs per step by phase. Numbers are written in full
 * precision; an empty cell means "not measured".
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
    'speedup_ci_low',
    'speedup_ci_high',
    'speedup_ci_from',
    'speedup_spec_bench',
    'tokens_per_s_pooled',
    'lossless_identical',
    'lossless_compared',
    'lossless_numeric',
    'questions',
    'skipped',
    'new_tokens',
    'steps',
    'us_per_step_draft',
    'us_per_step_forward',
    'us_per_step_verify',
    'us_per_step_update',
    'us_per_step_rest',
    'params',
  ];
  const lines = [header.join(',')];
  for (const overall of summary.rows.filter((r) => r.subtask === OVERALL)) {
    const perStep = (ms: number) => [overall.steps > 0 ? (1000 * ms) / overall.steps : null];
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
        overall.speedupCi?.low ?? null,
        overall.speedupCi?.high ?? null,
        overall.speedupCi?.interval ?? null,
        overall.specBenchSpeedup,
        overall.pooledTokensPerSecond,
        overall.lossless?.identical ?? null,
        overall.lossless?.compared ?? null,
        overall.lossless ? (overall.lossless.numeric ?? null) : null,
        overall.questions,
        overall.skipped,
        overall.newTokens,
        overall.steps,
        ...perStep(overall.time.draftMs),
        ...perStep(overall.time.forwardMs),
        ...perStep(overall.time.verifyMs),
        ...perStep(overall.time.updateMs),
        ...perStep(overall.time.otherMs),
        JSON.stringify(overall.params),
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
