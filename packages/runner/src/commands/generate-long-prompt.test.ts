// A prompt longer than the context gets the same one-line error (exit 2) at any length, on both backends.
// Regression: onnxruntime's Linux telemetry ran a backtracking std::regex over the process command line
// and overflowed the stack (SIGSEGV, exit 139) once `--prompt` held more than about 30 kB. ORT skips its
// telemetry when CI is set, so these runs unset CI (and ORT_DISABLE_TELEMETRY) to see what a user sees.
import { describe, expect, it } from 'vitest';
import { trbench } from '../testing/cli.ts';

const PROMPTS = [
  { what: '7,000 words', text: Array(7000).fill('word').join(' '), tokens: 21001 },
  { what: '10,000 words', text: Array(10000).fill('word').join(' '), tokens: 30001 },
  { what: '60,000 × x', text: 'x'.repeat(60000), tokens: null },
];

describe('trbench generate with a prompt longer than the context', () => {
  for (const backend of ['onnx', 'llama.cpp']) {
    for (const p of PROMPTS) {
      it(`${backend}: ${p.what} → one line naming the context, exit 2`, { timeout: 300_000 }, async () => {
        const r = await trbench(['generate', '--backend', backend, '--max-new-tokens', '4', '--prompt', p.text], {
          env: { CI: undefined, ORT_DISABLE_TELEMETRY: undefined },
        });
        expect(r.signal).toBeNull();
        expect(r.code).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^trbench: the prompt has \d+ tokens but the context holds 512$/);
        if (p.tokens !== null) expect(lines[0]).toContain(`has ${p.tokens} tokens`);
        expect(r.stdout).toBe('');
      });
    }
  }
});
