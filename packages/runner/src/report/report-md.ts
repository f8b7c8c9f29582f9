import { NUMERIC_TIE_RELATIVE } from '@trbench/core';
import { SUBTASK_LABELS } from '../datasets/spec-bench.ts';
import { formatDelta } from '../generation/lossless.ts';
import { renderSpsSection } from './report-sps.ts';
import { losslessFailures, type MetricRow, OVERALL, type Summary, variantLabel } from './summary.ts';
import { fixed, markdownTable } from './table.ts';

/** Column header of a subtask (the paper's short names for Spec-Bench). */
export function subtaskLabel(subtask: string): string {
  return SUBTASK_LABELS[subtask] ?? subtask;
}

/**
 * `48/48`, `16/16 (2 numeric: Δ 0.003, 0.008)` (identical or numeric tie flips / compared), `46/48 ✗ (q …)`
 * for a logic divergence; `ref` for AR, `–` when nothing was compared.
 */
export function losslessCell(row: MetricRow): string {
  if (row.sampled) return row.lossless === null ? 'ref (sampled)' : 'sampled';
  if (row.lossless === null) return 'ref';
  if (row.lossless.compared === 0) return '–';
  const { identical, compared, firstDivergence: d } = row.lossless;
  const numeric = (row.lossless.divergences ?? []).filter((x) => x.kind === 'numeric');
  const count = row.lossless.numeric ?? numeric.length;
  const passing = `${identical + count}/${compared}`;
  const logic = losslessFailures(row.lossless, false) > 0 ? ` ✗ (q ${d?.questionId} turn ${d?.turn} @${d?.index})` : '';
  const flips =
    count > 0
      ? ` (${count} numeric: ${numeric.map((x, i) => (i === 0 ? formatDelta(x.delta) : formatDelta(x.delta).slice(2))).join(', ')})`
      : '';
  return `${passing}${logic}${flips}`;
}

const logitText = (x: number | null | undefined) => (x === null || x === undefined ? '?' : x.toFixed(4));

/** Every divergence from plain decoding, diagnosed: one table row each (nothing when there is none). */
export function renderDivergences(summary: Summary): string[] {
  const rows: string[][] = [];
  for (const r of summary.rows) {
    if (r.subtask !== OVERALL || !r.lossless?.divergences) continue;
    for (const d of r.lossless.divergences) {
      const side = (s: typeof d.plain) =>
        s ? `${s.id} (${logitText(s.logit)}; runner-up ${s.runnerUp ? `${s.runnerUp.id} ${logitText(s.runnerUp.logit)}` : '?'})` : '?';
      rows.push([
        r.model,
        r.dataset,
        r.variant,
        `${d.questionId}${summary.repeats > 1 ? ` r${d.repeat + 1}` : ''}`,
        `${d.turn}:${d.index}`,
        d.kind,
        d.delta === null ? '–' : d.delta.toPrecision(2),
        side(d.plain),
        side(d.method),
        d.decidedBy,
      ]);
    }
  }
  if (rows.length === 0) return [];
  return [
    '## Divergences from plain decoding',
    '',
    `Each question run whose tokens differ from AR's, at the first differing token (turn:index), with both runs' committed token and logit and the runner-up of their top-2 there. **numeric**: each run committed its own argmax and the two tokens are within ${summary.config.numericTie ?? NUMERIC_TIE_RELATIVE} · max(1, |logit|) of each other in both evaluations${summary.config.numericTie === undefined ? '' : " (the config's `numericTie`)"}, a floating-point tie flip (the model evaluated in another batch shape rounds differently); **logic**: a method committed a token the model did not predict, a bug.`,
    '',
    markdownTable(
      [
        'model',
        'dataset',
        'method',
        'question',
        'turn:token',
        'kind',
        'Δ',
        'plain: token (logit; runner-up)',
        'method: token (logit; runner-up)',
        'decided by',
      ],
      rows,
      ['left', 'left', 'left', 'left', 'right', 'left', 'right', 'left', 'left', 'left'],
    ),
    '',
  ];
}

/** `1.42× [1.35, 1.49]`: the paired speedup and its 95 % interval (just `1.42×` without one, `–` when none). */
export function speedupCell(row: Pick<MetricRow, 'speedup' | 'speedupCi'> | undefined, digits = 2): string {
  if (!row || row.speedup === null) return '–';
  const ci = row.speedupCi;
  const interval = ci && ci.low !== null && ci.high !== null ? ` [${fixed(ci.low, digits)}, ${fixed(ci.high, digits)}]` : '';
  return `${fixed(row.speedup, digits)}×${interval}`;
}

function rowsOf(summary: Summary, model: string, dataset: string): MetricRow[] {
  return summary.rows.filter((r) => r.model === model && r.dataset === dataset);
}

/**
 * The paper's Table 1 for one model and dataset: per-subtask speedups (when the dataset has several), then
 * overall MAT, Spec-Bench tok/s (macro mean over questions), the paired speedup with its 95 % interval,
 * Spec-Bench's speedup point estimate, lossless count and skips.
 */
export function table1(summary: Summary, model: string, dataset: string): string {
  const rows = rowsOf(summary, model, dataset);
  const subtasks = summary.datasets.find((d) => d.id === dataset)?.subtasks ?? [];
  const perSubtask = subtasks.length > 1 ? subtasks : [];
  const header = [
    'method',
    ...perSubtask.map(subtaskLabel),
    'MAT',
    'tok/s',
    'Spd [95% CI]',
    'Spd (Spec-Bench)',
    'lossless',
    'questions',
    'skipped',
  ];
  const body = summary.variants
    .filter((v) => rows.some((r) => r.variant === v.id))
    .map((v) => {
      const overall = rows.find((r) => r.variant === v.id && r.subtask === OVERALL)!;
      return [
        variantLabel(summary, model, v.id),
        ...perSubtask.map((s) => fixed(rows.find((r) => r.variant === v.id && r.subtask === s)?.speedup, 2)),
        fixed(overall.mat, 2),
        fixed(overall.tokensPerSecond, 1),
        speedupCell(overall),
        fixed(overall.specBenchSpeedup, 2),
        losslessCell(overall),
        String(overall.questions),
        String(overall.skipped),
      ];
    });
  return markdownTable(header, body);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}` : '–';
}

function detailsTable(summary: Summary, model: string, dataset: string): string {
  const single = (summary.datasets.find((d) => d.id === dataset)?.subtasks.length ?? 0) <= 1;
  // With one subtask its rows repeat the overall rows.
  const rows = rowsOf(summary, model, dataset).filter((r) => !single || r.subtask === OVERALL);
  const header = [
    'method',
    'subtask',
    'questions',
    'skipped',
    'tokens',
    'steps',
    'MAT',
    'tok/s',
    'tok/s Σ/Σ',
    'speedup [95% CI]',
    'Spec-Bench speedup',
    'CPU-time speedup [95% CI]',
    'nodes/step',
    'lossless',
  ];
  const body = rows.map((r) => [
    variantLabel(summary, model, r.variant),
    subtaskLabel(r.subtask),
    String(r.questions),
    String(r.skipped),
    String(r.newTokens),
    String(r.steps),
    fixed(r.mat, 3),
    `${fixed(r.tokensPerSecond, 1)}${r.tokensPerSecondStd === null ? '' : ` ± ${fixed(r.tokensPerSecondStd, 1)}`}`,
    fixed(r.pooledTokensPerSecond, 1),
    speedupCell(r, 3),
    fixed(r.specBenchSpeedup, 3),
    r.method === 'ar' ? '' : speedupCell({ speedup: r.cpuSpeedup, speedupCi: r.cpuSpeedupCi }, 3),
    fixed(r.meanDraftNodes, 1),
    losslessCell(r),
  ]);
  return markdownTable(header, body, ['left', 'left']);
}

/**
 * Where the time of a step goes, per method (overall rows): µs per step in the drafter (propose), the
 * model's forward, the verifier, the drafter's update (observe) and the rest (KV pruning, bookkeeping),
 * and the share of the step outside the forward — the harness overhead a slowdown can hide in.
 */
export function timeSplitTable(summary: Summary, model: string, dataset: string): string {
  const rows = summary.variants
    .map((v) => rowsOf(summary, model, dataset).find((r) => r.variant === v.id && r.subtask === OVERALL))
    .filter((r): r is MetricRow => r !== undefined && r.steps > 0);
  const header = ['method', 'µs/step', 'draft', 'forward', 'verify', 'update', 'rest', 'outside forward', 'prefill ms/run'];
  const body = rows.map((r) => {
    const t = r.time;
    const stepMs = t.draftMs + t.forwardMs + t.verifyMs + t.updateMs + t.otherMs;
    const us = (ms: number) => fixed((1000 * ms) / r.steps, 1);
    return [
      variantLabel(summary, model, r.variant),
      us(stepMs),
      us(t.draftMs),
      us(t.forwardMs),
      us(t.verifyMs),
      us(t.updateMs),
      us(t.otherMs),
      `${percent(stepMs - t.forwardMs, stepMs)} %`,
      fixed(r.runs > 0 ? t.prefillMs / r.runs : null, 2),
    ];
  });
  return markdownTable(header, body);
}

/** The Table 1 blocks of every model × dataset, as printed at the end of `trbench run`. */
export function renderTables(summary: Summary): string {
  const out: string[] = [];
  for (const m of summary.models) {
    for (const d of summary.datasets) {
      out.push(`${m.id} · ${d.id}\n\n${table1(summary, m.id, d.id)}`);
    }
  }
  return out.join('\n\n');
}

/** The warm-up and where it ran: whether the recorded drafters could have learnt from it. */
export function warmupText(summary: Pick<Summary, 'warmup' | 'warmupProtocol'>): string {
  if (summary.warmup === 0) return 'no warm-up';
  const runs = `warm-up ${summary.warmup} run${summary.warmup === 1 ? '' : 's'} of the first question per method`;
  return summary.warmupProtocol === 'isolated'
    ? `${runs} on a separate drafter (protocol \`isolated\`: the recorded drafters start as with no warm-up)`
    : `${runs} on the recorded drafter (protocol \`spec-bench\`: a stateful drafter keeps what it learnt from them)`;
}

function environmentLines(summary: Summary): string[] {
  const lines: string[] = [];
  const sessions = summary.sessions;
  sessions.forEach((s, i) => {
    const e = s.environment;
    lines.push(
      `- session ${i + 1}${s.resume ? ' (resume)' : ''}, ${s.startedAt}: ${e.cpu}, ${e.cores} cores, ${e.memoryGiB} GiB, ${e.platform}, Node ${e.node}, ` +
        `git ${e.gitCommit.slice(0, 12)}${e.gitDirty ? ' (uncommitted changes)' : ''}`,
    );
  });
  const cpus = new Set(sessions.map((s) => s.environment.cpu));
  if (cpus.size > 1) lines.push('- **warning**: the sessions ran on different CPUs, so their timings are not comparable.');
  for (const m of summary.models) {
    const b = m.backendInfo;
    lines.push(
      `- model ${m.id} (${m.spec}), sha256 ${m.sha256}, template ${m.template}` +
        (b ? `, ${b.name} ${b.version}, device ${b.device}, ${b.threads} thread${b.threads === 1 ? '' : 's'}` : '') +
        (m.stopTokens ? `, stops at token ids ${m.stopTokens.join(', ')}` : ''),
    );
  }
  return lines;
}

/** `report.md`: provenance, one Table 1 per model × dataset, details, skipped questions and definitions. */
export function renderReportMarkdown(summary: Summary, chartFiles: readonly string[] = []): string {
  const out: string[] = [];
  out.push(`# trbench report: ${summary.name}`, '');
  out.push(
    `Config \`${summary.config.file}\` (hash \`${summary.config.hash.slice(0, 16)}\`), ${warmupText(summary)}, ${summary.repeats} repeat${summary.repeats === 1 ? '' : 's'}, ` +
      `${summary.records}/${summary.expectedRecords} question runs recorded${summary.complete ? '' : ' — **incomplete run**'}; ` +
      `${summary.measuredSeconds.toFixed(1)} s measured.`,
    '',
  );
  out.push(...environmentLines(summary), '');
  for (const note of summary.notes) out.push(`> Note: ${note}`, '');
  for (const m of summary.models) {
    for (const d of summary.datasets) {
      out.push(`## ${m.id} · ${d.id}`, '');
      out.push(
        `${d.questions} questions from \`${d.file}\` (sha256 ${d.sha256.slice(0, 12)}), at most ${d.maxNewTokens} new tokens per turn.`,
        '',
      );
      out.push(table1(summary, m.id, d.id), '');
      out.push('<details><summary>Per subtask</summary>', '', detailsTable(summary, m.id, d.id), '', '</details>', '');
      out.push('Where the time of a decoding step goes (µs per step, summed over finished runs):', '');
      out.push(timeSplitTable(summary, m.id, d.id), '');
    }
  }
  out.push(...renderDivergences(summary));
  out.push(...renderSpsSection(summary));
  if (summary.skippedQuestions.length > 0) {
    out.push('## Skipped questions', '');
    out.push(
      markdownTable(
        ['model', 'dataset', 'subtask', 'question', 'reason'],
        summary.skippedQuestions.map((s) => [s.model, s.dataset, subtaskLabel(s.subtask), s.questionId, s.reason]),
        ['left', 'left', 'left', 'left', 'left'],
      ),
      '',
    );
  }
  if (chartFiles.length > 0) {
    out.push('## Charts', '');
    for (const f of chartFiles) out.push(`![${f}](${f})`);
    out.push('');
  }
  out.push(
    '## How to read this',
    '',
    '- **Spd [95% CI]** and the subtask columns are paired speedups: per question and repeat, tok/s of the method ÷ tok/s of plain decoding (AR) on the same question, measured back to back (the methods run question by question in a rotating order, so drift of the machine hits them alike); the speedup is the geometric mean over questions. Its 95 % interval is a t-interval on the mean log ratio for this set of questions: from the spread over repeats of each question when the run has repeats, else from the spread over questions (wider).',
    "- **CPU-time speedup** (per subtask) is the same paired speedup on the process's CPU time instead of wall time: it leaves out the waiting for a core on a shared machine (the CI gate can use it); for a single-threaded backend on an idle machine both agree.",
    "- **Spd (Spec-Bench)** is Spec-Bench's point estimate, for comparison with published numbers: mean tok/s of the method over questions ÷ that of AR (questions both finished), averaged over repeats. It has no interval.",
    '- **Where the time goes**: per step, draft = the drafter proposing, forward = the model, verify = matching the draft, update = the drafter learning from the step, rest = KV pruning and bookkeeping; "outside forward" is the share of the step the harness and drafter take. Runs recorded before the verifier was timed apart count it in rest.',
    '- **tok/s** is Spec-Bench\'s: per question Σ new tokens / Σ wall time over its turns (prefill included, tokenization excluded), then the mean over questions. "tok/s Σ/Σ" is all tokens / all time.',
    '- **MAT** is the mean accepted tokens per step, pooled over every step (bonus token included; AR = 1).',
    '- Tokens are the ids each method committed (EOS included when it ended a turn), counted the same way for every method and cut at exactly the new-token limit.',
    "- **lossless** counts question runs whose token ids equal AR's in every turn, plus those that differ only by a **numeric** tie flip (listed with their Δ, the logit margin between the two tokens; see *Divergences*); ✗ marks a **logic** divergence (a method committed a token the model did not predict) and names the first (question, turn, index). Only logic divergences fail a run (`strictNumerics` makes numeric ones fail too).",
    "- **skipped**: questions whose prompt (at some turn) does not fit the model's context; they count in no metric.",
    "- Stateful drafters (TR's hot-start matrix) keep their state across the questions of a dataset, warm-up included, as in Spec-Bench: each method has its own drafter, whatever order the methods run in.",
    '',
  );
  return out.join('\n');
}
