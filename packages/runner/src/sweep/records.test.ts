import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureRecord } from '../testing/test-fixtures.ts';
import { RecordLog, readRecords, recordKey } from './records.ts';

const tmp = () => path.join(mkdtempSync(path.join(tmpdir(), 'trbench-records-')), 'records.jsonl');

describe('RecordLog', () => {
  it('appends one line per record and reads them back in order', () => {
    const file = tmp();
    const log = RecordLog.open(file);
    log.append(fixtureRecord({ questionId: 'q1' }));
    log.append(fixtureRecord({ questionId: 'q2' }));
    log.close();
    const { records, partialTail } = readRecords(file);
    expect(partialTail).toBe(0);
    expect(records.map((r) => r.questionId)).toEqual(['q1', 'q2']);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
  });

  it('drops the partial last line a killed writer leaves, then appends after the last whole record', () => {
    const file = tmp();
    const log = RecordLog.open(file);
    log.append(fixtureRecord({ questionId: 'q1' }));
    log.close();
    appendFileSync(file, JSON.stringify(fixtureRecord({ questionId: 'q2' })).slice(0, 50));
    expect(readRecords(file).records).toHaveLength(1);
    const again = RecordLog.open(file);
    expect(again.droppedBytes).toBe(50);
    expect(again.records.map((r) => r.questionId)).toEqual(['q1']);
    again.append(fixtureRecord({ questionId: 'q2' }));
    again.close();
    expect(readRecords(file).records.map((r) => r.questionId)).toEqual(['q1', 'q2']);
  });

  it('refuses to write a record twice', () => {
    const log = RecordLog.open(tmp());
    log.append(fixtureRecord({ questionId: 'q1' }));
    expect(log.has(recordKey(fixtureRecord({ questionId: 'q1' })))).toBe(true);
    expect(() => log.append(fixtureRecord({ questionId: 'q1' }))).toThrow(/written twice/);
    log.close();
  });

  it('rejects a damaged line in the middle and a duplicated record', () => {
    const file = tmp();
    const line = JSON.stringify(fixtureRecord({}));
    writeFileSync(file, `${line}\n{oops\n${line}\n`);
    expect(() => readRecords(file)).toThrow(/records\.jsonl:2: not a JSON record/);
    writeFileSync(file, `${line}\n${line}\n`);
    expect(() => readRecords(file)).toThrow(/records\.jsonl:2: record .* appears twice/);
  });
});
