import { z } from 'zod';
import type { MethodFlag } from './registry.ts';

/**
 * Shared by the five llama.cpp n-gram methods: `warm` (default) emulates one llama-server slot serving a
 * unit's requests in order (the speculator's state survives between requests with llama.cpp's reset
 * rules); `cold` gives every request a fresh state.
 */
export const lifetimeParam = z.enum(['warm', 'cold']).default('warm');

export const lifetimeFlag: MethodFlag = {
  flags: '--ngram-lifetime <warm|cold>',
  description: 'ngram-*: warm = one llama-server slot kept across requests (default), cold = fresh state per request',
  param: 'lifetime',
};
