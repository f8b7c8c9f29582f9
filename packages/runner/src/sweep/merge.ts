import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { type Hardware, sessionHardware } from '../env/hardware.ts';
import { writeReport } from '../report/report.ts';
import type { Summary } from '../report/summary.ts';
import { type RunRecord, readRecords, recordKey } from './records.ts';
import { type RunManifest, readManifest, runFiles, writeManifest } from './run-dir.ts';

/** One run folder given to `trbench merge`. */
export interface MergeInput {
  dir: string;
  manifest: RunManifest;
  records: RunRecord[];
}

export interface MergeOptions {
  /** Run folders: shards of one config (any split), or whole runs of disjoint parts. */
  dirs: string[];
  /** Folder the merged run is written to. */
  out: string;
  /** Merge shards that ran on different hardware; speedups are then also reported per hardware group. */
  allowMixedHardware?: boolean;
  /** Replace what a previous merge wrote in `out`. */
  overwrite?: boolean;
}

export interface HardwareGroup {
  hardware: Hardware;
  /** Input folders (shards) that ran on it. */
  dirs: string[];
  /** Run folder with this group's records only (written when the hardware is mixed). */
  dir: string | null;
  summary: Summary | null;
}

export interface MergeResult {
  dir: string;
  summary: Summary;
  files: string[];
  groups: HardwareGroup[];
}

const SHOWN = 6;

function list(items: readonly string[]): string {
  return items.length <= SHOWN ? items.join(', ') : `${items.slice(0, SHOWN).join(', ')} … (${items.length} in all)`;
}

function shardName(m: RunManifest): string {
  return m.shard ? `shard ${m.shard.index}/${m.shard.count}` : 'whole plan';
}

/**
 * Every record the plan of `m` asks for, keyed by `recordKey`, with its (model, dataset, question) and its
 * position in the order a one-machine run writes them: block (model × dataset × repeat), then question,
 * then variant in config order.
 */
export function plannedRecords(
  m: RunManifest,
): Map<string, { model: string; dataset: string; pair: string; questionId: string; order: number }> {
  const blocks = new Map<string, RunManifest['units']>();
  for (const u of m.units) {
    const key = JSON.stringify([u.model, u.dataset, u.repeat]);
    blocks.set(key, [...(blocks.get(key) ?? []), u]);
  }
  const planned = new Map<string, { model: string; dataset: string; pair: string; questionId: string; order: number }>();
  let order = 0;
  for (const units of blocks.values()) {
    const { model, dataset, repeat } = units[0];
    const d = m.datasets.find((x) => x.id === dataset);
    if (!d) throw new TrbenchError(`run.json of ${m.name}: unit ${units[0].key} names dataset ${dataset}, which it does not list`);
    for (const questionId of d.questions) {
      for (const u of units) {
        const key = recordKey({ model, dataset, repeat, variant: u.variant, questionId });
        planned.set(key, { model, dataset, pair: `${model}/${dataset}`, questionId, order: order++ });
      }
    }
  }
  return planned;
}

/** Why the inputs cannot be merged as one plan (null when they can): different configs, models or datasets. */
function planMismatch(inputs: readonly MergeInput[]): string | null {
  const [first, ...rest] = inputs;
  const a = first.manifest;
  for (const { dir, manifest: b } of rest) {
    if (b.config.hash !== a.config.hash)
      return `${dir} was made from another config (hash ${b.config.hash.slice(0, 12)}) than ${first.dir} (hash ${a.config.hash.slice(0, 12)})`;
    for (const m of a.models) {
      const o = b.models.find((x) => x.id === m.id);
      if (!o || o.sha256 !== m.sha256)
        return `model ${m.id} differs: sha256 ${m.sha256.slice(0, 12)} in ${first.dir}, ${o?.sha256.slice(0, 12) ?? 'absent'} in ${dir}`;
    }
    for (const d of a.datasets) {
      const o = b.datasets.find((x) => x.id === d.id);
      if (!o || o.sha256 !== d.sha256 || o.questions.join('\n') !== d.questions.join('\n'))
        return `dataset ${d.id} differs between ${first.dir} and ${dir} (file or question selection)`;
    }
    if (a.units.map((u) => u.key).join('\n') !== b.units.map((u) => u.key).join('\n'))
      return `${first.dir} and ${dir} plan different units`;
  }
  return null;
}

/**
 * Checks that the inputs' records cover the plan exactly once. Returns null, or one line naming what is
 * wrong: shards given twice or absent (when every input is a shard of the same N), questions missing
 * (and the shard that should hold them), questions recorded twice (and where), records outside the plan.
 */
export function coverageProblem(inputs: readonly MergeInput[]): string | null {
  const planned = plannedRecords(inputs[0].manifest);
  const problems: string[] = [];

  const counts = new Set(inputs.map((i) => i.manifest.shard?.count ?? 0));
  if (counts.size === 1 && !counts.has(0)) {
    const n = [...counts][0];
    const given = new Map<number, string[]>();
    for (const i of inputs) given.set(i.manifest.shard!.index, [...(given.get(i.manifest.shard!.index) ?? []), i.dir]);
    const repeated = [...given].filter(([, dirs]) => dirs.length > 1);
    for (const [index, dirs] of repeated) problems.push(`shard ${index}/${n} given ${dirs.length} times (${dirs.join(', ')})`);
    const absent = Array.from({ length: n }, (_, k) => k + 1).filter((k) => !given.has(k));
    if (absent.length > 0) problems.push(`shard${absent.length > 1 ? 's' : ''} ${absent.map((k) => `${k}/${n}`).join(', ')} not given`);
  }

  const seen = new Map<string, string>();
  const duplicated = new Map<string, Set<string>>(); // pair → "question (dirA, dirB)"
  const unplanned: string[] = [];
  for (const { dir, records } of inputs) {
    for (const r of records) {
      const key = recordKey(r);
      const plan = planned.get(key);
      if (!plan) {
        unplanned.push(`${dir}: ${key}`);
        continue;
      }
      const where = seen.get(key);
      if (where !== undefined) {
        if (where !== dir) {
          let set = duplicated.get(plan.pair);
          if (!set) duplicated.set(plan.pair, (set = new Set()));
          set.add(`${plan.questionId} (${where} and ${dir})`);
        }
        continue;
      }
      seen.set(key, dir);
    }
  }
  const missing = new Map<string, { model: string; dataset: string; ids: Set<string> }>();
  for (const [key, plan] of planned) {
    if (seen.has(key)) continue;
    let entry = missing.get(plan.pair);
    if (!entry) missing.set(plan.pair, (entry = { model: plan.model, dataset: plan.dataset, ids: new Set() }));
    entry.ids.add(plan.questionId);
  }
  for (const [pair, { model, dataset, ids }] of missing) {
    // Which given shard should have held them: an interrupted shard is resumed, not re-run.
    const owners = new Set<string>();
    for (const i of inputs) {
      const range = i.manifest.shard?.ranges.find((r) => r.model === model && r.dataset === dataset);
      const questions = i.manifest.datasets.find((d) => d.id === dataset)?.questions ?? [];
      if (range && [...ids].some((q) => questions.indexOf(q) >= range.start && questions.indexOf(q) < range.end))
        owners.add(`${shardName(i.manifest)} in ${i.dir} is incomplete: finish it with trbench run … --resume`);
    }
    problems.push(
      `${pair}: question${ids.size > 1 ? 's' : ''} ${list([...ids])} missing${owners.size > 0 ? ` (${[...owners].join('; ')})` : ''}`,
    );
  }
  for (const [pair, items] of duplicated) problems.push(`${pair}: question${items.size > 1 ? 's' : ''} ${list([...items])} recorded twice`);
  if (unplanned.length > 0) problems.push(`records outside the plan: ${list(unplanned)}`);
  return problems.length === 0 ? null : problems.join('; ');
}

/** Hardware of each input's sessions, grouped by fingerprint (in order of first appearance). */
function hardwareGroups(inputs: readonly MergeInput[]): HardwareGroup[] {
  const groups = new Map<string, HardwareGroup>();
  for (const i of inputs) {
    const used = new Set(i.records.map((r) => r.session));
    i.manifest.sessions.forEach((s, index) => {
      if (!used.has(index)) return;
      const hardware = sessionHardware(s);
      let g = groups.get(hardware.fingerprint);
      if (!g) groups.set(hardware.fingerprint, (g = { hardware, dirs: [], dir: null, summary: null }));
      if (!g.dirs.includes(i.dir)) g.dirs.push(i.dir);
    });
  }
  return [...groups.values()];
}

/** Reads a run folder for merging. */
export function readMergeInput(dir: string): MergeInput {
  const manifest = readManifest(dir);
  const { records } = readRecords(runFiles(dir).records);
  return { dir, manifest, records };
}

function writeRun(dir: string, manifest: RunManifest, records: readonly RunRecord[]): { summary: Summary; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const files = runFiles(dir);
  writeFileAtomic(files.records, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeManifest(dir, manifest);
  return writeReport(dir);
}

/**
 * `trbench merge`: checks that the run folders come from the same config and together cover its plan
 * exactly once, then writes one run folder with every record (in plan order, sessions renumbered) and its
 * summary, reports and charts — equal in every deterministic field to a one-machine run of the config.
 * Shards that ran on different hardware are refused unless `allowMixedHardware`; then each hardware group
 * also gets a run folder of its own records (`hardware/<fingerprint>/`) with its own speedups.
 */
export function mergeRuns(options: MergeOptions): MergeResult {
  if (options.dirs.length === 0) throw new TrbenchError('merge: no run folders given');
  const out = path.resolve(options.out);
  const dirs = options.dirs.map((d) => path.resolve(d));
  const twice = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (twice) throw new TrbenchError(`cannot merge: ${twice} is given twice`);
  if (dirs.includes(out)) throw new TrbenchError(`--out ${out} is one of the run folders to merge; choose another folder`);
  const inputs = options.dirs.map((d) => readMergeInput(d));

  const plan = planMismatch(inputs);
  if (plan) throw new TrbenchError(`cannot merge: ${plan}`);
  const coverage = coverageProblem(inputs);
  if (coverage) throw new TrbenchError(`cannot merge: ${coverage}`);
  const groups = hardwareGroups(inputs);
  const mixed = groups.length > 1;
  const groupText = () => groups.map((g) => `${g.hardware.label} [${g.hardware.fingerprint}]: ${g.dirs.join(', ')}`).join('; ');
  if (mixed && !options.allowMixedHardware)
    throw new TrbenchError(
      `cannot merge: the runs used ${groups.length} kinds of hardware (${groupText()}); their tok/s are not comparable — ` +
        'rerun the odd ones on the same hardware, or pass --allow-mixed-hardware to merge anyway with speedups per hardware group',
    );

  const files = runFiles(out);
  if (existsSync(files.manifest) || existsSync(files.records)) {
    if (!options.overwrite) throw new TrbenchError(`${out} already holds a run; pass --overwrite to replace it, or choose another --out`);
    for (const f of [files.records, files.summary, files.reportMd, files.reportCsv, files.manifest]) rmSync(f, { force: true });
    rmSync(files.charts, { recursive: true, force: true });
    rmSync(path.join(out, 'hardware'), { recursive: true, force: true });
  }

  // Sessions are concatenated in input order; each record's session index moves with its input.
  const first = inputs[0].manifest;
  const sessions: RunManifest['sessions'] = [];
  const records: { record: RunRecord; order: number; fingerprint: string }[] = [];
  const planned = plannedRecords(first);
  for (const i of inputs) {
    const offset = sessions.length;
    const label = `${shardName(i.manifest)} (${i.dir})`;
    for (const s of i.manifest.sessions) sessions.push({ ...s, hardware: sessionHardware(s), shard: label });
    for (const r of i.records) {
      const session = offset + r.session;
      records.push({
        record: { ...r, session },
        order: planned.get(recordKey(r))!.order,
        fingerprint: sessions[session].hardware!.fingerprint,
      });
    }
  }
  records.sort((a, b) => a.order - b.order);

  const commits = new Set(sessions.map((s) => s.environment.gitCommit + (s.environment.gitDirty ? '+dirty' : '')));
  const notes = [...first.notes];
  notes.push(`merged from ${inputs.length} run folders: ${inputs.map((i) => `${shardName(i.manifest)} ${i.dir}`).join(', ')}`);
  if (commits.size > 1)
    notes.push(`the merged runs used ${commits.size} different checkouts (${[...commits].map((c) => c.slice(0, 12)).join(', ')})`);
  if (mixed)
    notes.push(
      `the runs used ${groups.length} kinds of hardware (merged with --allow-mixed-hardware): tok/s and speedups here pool them; ` +
        `per-hardware speedups are in ${groups.map((g) => `hardware/${g.hardware.fingerprint}/report.md`).join(', ')} — ${groupText()}`,
    );
  const fullUnits = first.units.map((u) => ({ ...u, questions: first.datasets.find((d) => d.id === u.dataset)!.questions.length }));
  const { shard: _shard, ...base } = first;
  const manifest: RunManifest = {
    ...base,
    name: path.basename(out),
    createdAt: new Date().toISOString(),
    units: fullUnits,
    notes,
    sessions,
    origin: {
      kind: 'merge',
      from: inputs.map((i) => ({
        path: i.dir,
        ...(i.manifest.shard ? { shard: `${i.manifest.shard.index}/${i.manifest.shard.count}` } : {}),
      })),
      at: new Date().toISOString(),
    },
  };
  const written = writeRun(
    out,
    manifest,
    records.map((r) => r.record),
  );

  if (mixed) {
    for (const g of groups) {
      const dir = path.join(out, 'hardware', g.hardware.fingerprint);
      const mine = records.filter((r) => r.fingerprint === g.hardware.fingerprint).map((r) => r.record);
      const groupManifest: RunManifest = {
        ...manifest,
        name: `${manifest.name} on ${g.hardware.fingerprint}`,
        notes: [
          ...first.notes,
          `hardware group ${g.hardware.fingerprint} (${g.hardware.label}) of a merged run: only the questions run on it (${g.dirs.join(', ')}), so this run is incomplete by design`,
        ],
      };
      const r = writeRun(dir, groupManifest, mine);
      g.dir = dir;
      g.summary = r.summary;
    }
  }
  return { dir: out, summary: written.summary, files: written.files, groups };
}
