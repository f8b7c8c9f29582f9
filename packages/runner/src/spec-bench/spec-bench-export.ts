import { createHash } from 'node:crypto';
import path from 'node:path';
import { resolveModel, writeFileAtomic } from '@trbench/assets';
import { Vocabulary } from '@trbench/backend-llama-cpp';
import { TrbenchError } from '@trbench/core';
import { sessionHardware } from '../env/hardware.ts';
import { promptTemplate, type TemplateName } from '../models/templates.ts';
import { readRecords, recordKey } from '../sweep/records.ts';
import { readManifest, runFiles } from '../sweep/run-dir.ts';
import { type AnswerLine, type AnswerProvenance, acceptLengthsOf, type ExportIndex, safeFileName } from './spec-bench-answers.ts';

export interface ExportOptions {
  runDir: string;
  out: string;
  /** GGUF file per model id, for runs whose model spec does not resolve here (the text needs its tokenizer). */
  modelFiles?: Record<string, string>;
}

/** Opens the tokenizer of each model of a run, checking that it is the file the run used. */
async function openVocabularies(
  models: { id: string; spec: string; sha256: string }[],
  modelFiles: Record<string, string>,
): Promise<Map<string, Vocabulary>> {
  const out = new Map<string, Vocabulary>();
  for (const m of models) {
    const spec = modelFiles[m.id] ?? m.spec;
    let file: string;
    try {
      file = (await resolveModel(spec, { expectedSha256: m.sha256 })).path;
    } catch (err) {
      for (const v of out.values()) v.dispose();
      const why = err instanceof TrbenchError ? err.message : String(err);
      throw new TrbenchError(
        `export needs model ${m.id}'s tokenizer to write the answers' text: ${why}; pass --model-file ${m.id}=FILE.gguf (sha256 ${m.sha256.slice(0, 12)}…)`,
      );
    }
    out.set(m.id, await Vocabulary.openVocabOnly(file));
  }
  return out;
}

/**
 * `trbench export RUN_DIR --format spec-bench`: one Spec-Bench answer file per model × dataset × repeat ×
 * method variant, `<out>/<model>/<dataset>/run_<r>/<variant>.jsonl`, plus `export.json` listing them with
 * the baseline file of each (speed.py's `--base-path`). Each turn's text is the model's detokenized answer
 * post-processed by the run's template, exactly the text trbench fed to the next turn. Spec-Bench keeps
 * `accept_lengths` in step order; trbench records keep a histogram per turn, so within a turn the list is
 * in ascending order (speed.py only averages it). Skipped questions have no answer line (listed in
 * export.json).
 */
export async function exportSpecBench(options: ExportOptions): Promise<{ index: ExportIndex; files: string[] }> {
  const runDir = path.resolve(options.runDir);
  const manifest = readManifest(runDir);
  const { records } = readRecords(runFiles(runDir).records);
  if (records.length === 0) throw new TrbenchError(`${runDir} holds no records to export`);
  const textless = records.find((r) => r.status === 'done' && r.newTokens > 0 && r.turns.every((t) => t.tokens.length === 0));
  if (textless)
    throw new TrbenchError(
      `${runDir}: its records hold no token ids (imported from Spec-Bench's own answers, e.g. ${textless.variant} question ${textless.questionId}): use the original answer files instead`,
    );
  const out = path.resolve(options.out);
  const vocabularies = await openVocabularies(
    manifest.models.filter((m) => records.some((r) => r.model === m.id)),
    options.modelFiles ?? {},
  );
  const groups = new Map<string, typeof records>();
  for (const r of records) {
    const key = JSON.stringify([r.model, r.dataset, r.repeat, r.variant]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  const ar = manifest.variants.find((v) => v.method === 'ar')?.id ?? 'ar';
  const fileOf = (model: string, dataset: string, repeat: number, variant: string) =>
    path.join(safeFileName(model), safeFileName(dataset), `run_${repeat + 1}`, `${safeFileName(variant)}.jsonl`);
  const index: ExportIndex = {
    schema: 'trbench-spec-bench-export/1',
    run: manifest.name,
    configHash: manifest.config.hash,
    exportedAt: new Date().toISOString(),
    files: [],
    notes: [
      'accept_lengths: ascending within each turn (trbench records a histogram per turn, not the step order); speed.py only averages them',
      "new_tokens: the ids trbench committed (EOS included when it ended a turn); speed.py re-counts the baseline's tokens from its text instead",
    ],
  };
  const written: string[] = [];
  try {
    for (const list of groups.values()) {
      const first = list[0];
      const vocab = vocabularies.get(first.model)!;
      const lines: string[] = [];
      for (const r of list) {
        if (r.status !== 'done') continue;
        const template = promptTemplate(r.template as TemplateName);
        const session = manifest.sessions[r.session];
        const provenance: AnswerProvenance = {
          schema: 'trbench-answer/1',
          run: manifest.name,
          configHash: manifest.config.hash,
          record: r,
          environment: session.environment,
          hardware: sessionHardware(session),
        };
        const line: AnswerLine = {
          question_id: /^\d+$/.test(r.questionId) ? Number(r.questionId) : r.questionId,
          category: r.category,
          answer_id: `trbench-${createHash('sha256').update(recordKey(r)).digest('hex').slice(0, 22)}`,
          model_id: `${r.model}-${r.variant}`,
          choices: [
            {
              index: 0,
              turns: r.turns.map((t) => template.postProcess(vocab.detokenize(t.tokens))),
              decoding_steps: r.turns.map((t) => t.steps),
              new_tokens: r.turns.map((t) => t.tokens.length),
              wall_time: r.turns.map((t) => t.timing.totalMs / 1000),
              accept_lengths: acceptLengthsOf(r),
            },
          ],
          tstamp: Date.parse(r.finishedAt) / 1000,
          trbench: provenance,
        };
        lines.push(`${JSON.stringify(line)}\n`);
      }
      const file = fileOf(first.model, first.dataset, first.repeat, first.variant);
      writeFileAtomic(path.join(out, file), lines.join(''));
      written.push(path.join(out, file));
      index.files.push({
        file,
        model: first.model,
        dataset: first.dataset,
        variant: first.variant,
        method: first.method,
        repeat: first.repeat,
        baseline: fileOf(first.model, first.dataset, first.repeat, ar),
        questions: lines.length,
        skipped: list.filter((r) => r.status !== 'done').map((r) => r.questionId),
      });
    }
  } finally {
    for (const v of vocabularies.values()) v.dispose();
  }
  const indexFile = path.join(out, 'export.json');
  writeFileAtomic(indexFile, `${JSON.stringify(index, null, 2)}\n`);
  return { index, files: [...written, indexFile] };
}
