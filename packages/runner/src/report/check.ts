import { existsSync, readFileSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';
import { losslessFailures, OVERALL, SUMMARY_SCHEMA, type Summary } from './summary.ts';
import { markdownTable } from './table.ts';

/** Version of baseline files; 2: `speedup` is the paired estimate (summary schema 2). */
export const BASELINE_SCHEMA = 'trbench-baseline/2';

/** The committed reference a CI run is compared with: the deterministic and timing metrics per row. */
export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  createdAt: string;
  /** `cpu` and `simd`: the hardware its speedups were measured on (speedups are gated only on the same). */
  source: { name: string; configHash: string; gitCommit: string | null; cpu: string | null; simd?: string | null };
  rows: {
    model: string;
    dataset: string;
    variant: string;
    subtask: string;
    questions: number;
    mat: number | null;
    /** Paired speedup estimate over AR (the row's `speedup`). */
    speedup: number | null;
    /** The same on CPU time (the row's `cpuSpeedup`); absent in baselines made from runs without CPU time. */
    cpuSpeedup?: number | null;
  }[];
}

export interface Tolerances {
  /** Largest allowed relative drop of MAT (deterministic: only code changes move it). */
  mat: number;
  /**
   * Relative drop of the overall speedup that fails the check when the whole 95 % interval of the current
   * speedup lies below baseline × (1 − speedup): a drop the measurement cannot explain as noise.
   */
  speedup: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { mat: 0.01, speedup: 0.1 };

/**
 * Which paired speedup the gate compares: on wall time (what the reports show) or on the process's CPU
 * time (the same for a single-threaded backend on an idle machine; on a shared one it leaves out the
 * waiting for a core, which is most of the noise).
 */
export type SpeedupMetric = 'wall' | 'cpu';

export interface CheckLine {
  ok: boolean;
  model: string;
  dataset: string;
  variant: string;
  subtask: string;
  metric: string;
  baseline: string;
  current: string;
  change: string;
  allowed: string;
}

/** The baseline a summary would be if accepted as the new reference (`trbench check --update`). */
export function baselineOf(summary: Summary): Baseline {
  return {
    schema: BASELINE_SCHEMA,
    createdAt: new Date().toISOString(),
    source: {
      name: summary.name,
      configHash: summary.config.hash,
      gitCommit: summary.environment?.gitCommit ?? null,
      cpu: summary.environment?.cpu ?? null,
      simd: summary.environment?.simd ?? null,
    },
    rows: summary.rows.map((r) => ({
      model: r.model,
      dataset: r.dataset,
      variant: r.variant,
      subtask: r.subtask,
      questions: r.questions,
      mat: r.mat,
      speedup: r.speedup,
      cpuSpeedup: r.cpuSpeedup,
    })),
  };
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new TrbenchError(`${what} not found: ${file}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TrbenchError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

export function readSummary(file: string): Summary {
  const s = readJson(file, 'summary') as { schema?: unknown };
  if (s?.schema === 'trbench-summary/1')
    throw new TrbenchError(
      `${file}: written by an older trbench (trbench-summary/1, no speedup intervals); re-render it with \`trbench report <run folder>\``,
    );
  if (s?.schema !== SUMMARY_SCHEMA) throw new TrbenchError(`${file}: not a trbench summary (expected "schema": "${SUMMARY_SCHEMA}")`);
  return s as Summary;
}

export function readBaseline(file: string): Baseline {
  const b = readJson(file, 'baseline') as { schema?: unknown };
  if (b?.schema === 'trbench-baseline/1')
    throw new TrbenchError(
      `${file}: an older baseline (trbench-baseline/1, Spec-Bench speedups); regenerate it from a current run with \`trbench check --summary <summary.json> --baseline ${file} --update\``,
    );
  if (b?.schema !== BASELINE_SCHEMA) throw new TrbenchError(`${file}: not a trbench baseline (expected "schema": "${BASELINE_SCHEMA}")`);
  return b as Baseline;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const num = (x: number | null | undefined, d: number) => (x === null || x === undefined ? '–' : x.toFixed(d));

/**
 * Compares a run's summary with the baseline. Regressions: any lossless failure (a `logic` divergence; a
 * `numeric` one only with `strictNumerics` or the run's config `strictNumerics`); a row of the baseline
 * missing or with fewer finished questions; MAT lower by more than `tolerances.mat` on any row (MAT is
 * deterministic); an overall speedup whose whole 95 % interval lies below baseline × (1 − tolerances.speedup)
 * (the point estimate when no interval could be computed), when the run and the baseline ran on the same CPU
 * model with the same vector extensions. Subtask speedups on a few questions are not gated.
 */
export function checkSummary(
  summary: Summary,
  baseline: Baseline,
  tolerances: Tolerances = DEFAULT_TOLERANCES,
  metric: SpeedupMetric = 'wall',
  strictNumerics = false,
): { lines: CheckLine[]; notes: string[] } {
  const lines: CheckLine[] = [];
  const notes: string[] = [];
  const none = { model: '', dataset: '', variant: '', subtask: '' };
  // A new method parameter with a default changes the hash without changing what is measured; rows are
  // matched by name, so the metrics below still guard against regressions.
  if (summary.config.hash !== baseline.source.configHash) {
    notes.push(
      `the run's config hash (${summary.config.hash.slice(0, 12)}) differs from the baseline's (${baseline.source.configHash.slice(0, 12)}); ` +
        'rows are compared by model, dataset, method and subtask',
    );
  }
  if (!summary.complete) {
    lines.push({
      ok: false,
      ...none,
      metric: 'records',
      baseline: '',
      current: `${summary.records}/${summary.expectedRecords}`,
      change: 'incomplete run',
      allowed: 'all',
    });
  }
  // Paired speedups depend on the CPU (its SIMD width changes a forward's cost against the host's work), so
  // they are gated only against speeds measured on the same CPU model with the same vector extensions.
  const hardware = (cpu: string | null | undefined, simd: string | null | undefined) =>
    `${cpu ?? 'unknown CPU'} (${simd ?? 'SIMD unknown'})`;
  const runHardware = hardware(summary.environment?.cpu, summary.environment?.simd);
  const baselineHardware = hardware(baseline.source.cpu, baseline.source.simd);
  const gateSpeed = runHardware === baselineHardware;
  if (!gateSpeed) {
    notes.push(
      `speedups not gated: the baseline's were measured on ${baselineHardware}, this run's on ${runHardware}; ` +
        'lossless and MAT are; to gate speedups on this hardware, regenerate the baseline here with --update',
    );
  }
  const ungated = new Set(summary.variants.filter((v) => v.speedupGate === false).map((v) => v.id));
  if (gateSpeed && ungated.size > 0) {
    notes.push(`speedups not gated for ${[...ungated].join(', ')} (speedupGate: false in the config); their lossless and MAT are`);
  }
  const strict = strictNumerics || summary.config.strictNumerics === true;
  for (const r of summary.rows) {
    if (r.subtask !== OVERALL || r.lossless === null) continue;
    const { identical, compared, firstDivergence: d } = r.lossless;
    const numeric = r.lossless.numeric ?? 0;
    const failed = losslessFailures(r.lossless, strict);
    const firstNumeric = r.lossless.divergences?.find((x) => x.kind === 'numeric');
    const where = (x: { questionId: string; turn: number; index: number }) => `q ${x.questionId} turn ${x.turn} token ${x.index}`;
    lines.push({
      ok: failed === 0,
      model: r.model,
      dataset: r.dataset,
      variant: r.variant,
      subtask: r.subtask,
      metric: 'lossless',
      baseline: '',
      current: `${identical + numeric}/${compared}${numeric > 0 ? ` (${numeric} numeric)` : ''}`,
      change: d ? `logic: ${where(d)}` : strict && firstNumeric ? `numeric: ${where(firstNumeric)}` : '',
      allowed: strict ? 'all identical (strict numerics)' : 'no logic divergence',
    });
  }
  for (const b of baseline.rows) {
    const key = { model: b.model, dataset: b.dataset, variant: b.variant, subtask: b.subtask };
    const r = summary.rows.find(
      (x) => x.model === b.model && x.dataset === b.dataset && x.variant === b.variant && x.subtask === b.subtask,
    );
    if (!r) {
      lines.push({ ok: false, ...key, metric: 'row', baseline: 'present', current: 'missing', change: '', allowed: 'present' });
      continue;
    }
    if (r.questions < b.questions) {
      lines.push({
        ok: false,
        ...key,
        metric: 'questions',
        baseline: String(b.questions),
        current: String(r.questions),
        change: '',
        allowed: `>= ${b.questions}`,
      });
    }
    if (b.mat !== null) {
      const change = r.mat === null ? Number.NEGATIVE_INFINITY : r.mat / b.mat - 1;
      lines.push({
        ok: change >= -tolerances.mat,
        ...key,
        metric: 'MAT',
        baseline: num(b.mat, 3),
        current: num(r.mat, 3),
        change: r.mat === null ? 'missing' : pct(change),
        allowed: `>= -${(100 * tolerances.mat).toFixed(0)}%`,
      });
    }
    const reference = metric === 'cpu' ? b.cpuSpeedup : b.speedup;
    if (!gateSpeed || ungated.has(b.variant)) continue;
    if (b.subtask === OVERALL && r.method !== 'ar' && reference === undefined) {
      notes.push(
        `${b.model} ${b.dataset} ${b.variant}: the baseline has no CPU-time speedup; regenerate it to gate on --speedup-metric cpu`,
      );
    } else if (b.subtask === OVERALL && reference !== null && reference !== undefined && r.method !== 'ar') {
      const floor = reference * (1 - tolerances.speedup);
      const [value, interval] = metric === 'cpu' ? [r.cpuSpeedup, r.cpuSpeedupCi] : [r.speedup, r.speedupCi];
      // The best speedup the measurement allows: the interval's upper end.
      const best = interval?.high ?? value;
      const ci = interval?.low != null && interval.high != null ? ` [${num(interval.low, 3)}, ${num(interval.high, 3)}]` : '';
      lines.push({
        ok: best !== null && best >= floor,
        ...key,
        metric: metric === 'cpu' ? 'speedup (CPU time)' : 'speedup',
        baseline: num(reference, 3),
        current: `${num(value, 3)}${ci}`,
        change: value === null ? 'missing' : pct(value / reference - 1),
        allowed: `interval reaches ${num(floor, 3)} (-${(100 * tolerances.speedup).toFixed(0)}%)`,
      });
    }
  }
  return { lines, notes };
}

/** A table of the checks (only the failed ones unless `all`). */
export function renderCheck(lines: readonly CheckLine[], all: boolean): string {
  const shown = all ? lines : lines.filter((l) => !l.ok);
  if (shown.length === 0) return '';
  return markdownTable(
    ['status', 'model', 'dataset', 'method', 'subtask', 'metric', 'baseline', 'current', 'change', 'allowed'],
    shown.map((l) => [
      l.ok ? 'ok' : 'REGRESSED',
      l.model,
      l.dataset,
      l.variant,
      l.subtask,
      l.metric,
      l.baseline,
      l.current,
      l.change,
      l.allowed,
    ]),
    ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'left'],
  );
}
