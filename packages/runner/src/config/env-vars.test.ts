// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings under test are config values with ${VAR} references
import { describe, expect, it } from 'vitest';
import { expandEnvVars } from './env-vars.ts';

describe('expandEnvVars', () => {
  const env = { A: 'alpha', EMPTY: '' };
  it('replaces set variables and falls back to defaults, in nested values only', () => {
    const out = expandEnvVars(
      { model: '${A}/m.gguf', list: ['${B:-beta}', 3, '${EMPTY:-e}'], nested: { x: 'x${A}y' }, keep: 'no refs' },
      env,
      'c.yaml',
    );
    expect(out).toEqual({ model: 'alpha/m.gguf', list: ['beta', 3, 'e'], nested: { x: 'xalphay' }, keep: 'no refs' });
  });
  it('keeps $${ as a literal ${', () => {
    expect(expandEnvVars('cost $${A} and ${A}', env, 'c.yaml')).toBe('cost ${A} and alpha');
  });
  it('names the field and the variable when one is unset without a default', () => {
    expect(() => expandEnvVars({ methods: [{ params: { datastore: '${NOPE}' } }] }, env, 'c.yaml')).toThrow(
      /c\.yaml: methods\[0\]\.params\.datastore: environment variable NOPE is not set/,
    );
  });
});
