import { AutoregressiveDrafter } from '@trbench/core';
import { z } from 'zod';
import { registerMethod } from './registry.ts';

registerMethod({
  name: 'ar',
  summary: 'plain greedy autoregressive decoding (the baseline every speedup is measured against)',
  params: z.object({}).strict(),
  flags: [],
  requirements: () => ({ maxDraftNodes: 1, topK: 1 }),
  create: () => new AutoregressiveDrafter(),
  carriesState: () => false,
});
