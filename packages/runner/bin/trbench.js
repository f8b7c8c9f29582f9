#!/usr/bin/env node
// trbench is written in TypeScript and runs from source through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
