import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkStructLayouts, EXPECTED_LAYOUT } from './abi.ts';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scripts/abi-table.sh');
const hasCompiler = spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;

describe('the ABI table', () => {
  it('matches koffi’s view of every bound struct', () => {
    expect(() => checkStructLayouts()).not.toThrow();
  });

  it.runIf(hasCompiler)(
    'is what scripts/abi-table.sh prints from the pinned llama.h',
    () => {
      const text = execFileSync(script, { encoding: 'utf8' });
      const literal = text.replace(/^export const EXPECTED_LAYOUT = /, '').replace(/ as const;\s*$/, '');
      expect(new Function(`return (${literal});`)()).toEqual(EXPECTED_LAYOUT);
    },
    120_000,
  );
});
