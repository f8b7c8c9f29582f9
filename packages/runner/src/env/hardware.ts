import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { hashOf } from '../config/canonical-json.ts';
import type { Environment } from './environment.ts';

/**
 * What a machine's speed depends on, as far as trbench can see it: the CPU model, its logical cores, the
 * cores this process may use (a SLURM or cgroup CPU binding), the platform and the GPUs. Two sessions with
 * the same fingerprint ran on interchangeable hardware, so their tok/s can be pooled; memory size, host
 * name and software versions are left out on purpose (software is in the environment and the config).
 */
export interface Hardware {
  /** First 16 hex digits of the sha256 of the canonical JSON of `facts`. */
  fingerprint: string;
  /** The facts in words, e.g. `AMD EPYC 7763 ×2 (2 usable), linux-x64, no GPU`. */
  label: string;
  facts: { cpu: string; cores: number; usableCores: number | null; platform: string; gpus: string[] };
}

/** GPU names from `nvidia-smi` when it is installed (best effort: none found = empty). */
function nvidiaGpus(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out
      .toString()
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** The fingerprint of given facts (also used for sessions recorded before fingerprints existed). */
export function hardwareOf(facts: Hardware['facts']): Hardware {
  const gpus = facts.gpus.length === 0 ? 'no GPU' : facts.gpus.join(' + ');
  const usable = facts.usableCores !== null && facts.usableCores !== facts.cores ? ` (${facts.usableCores} usable)` : '';
  return {
    fingerprint: hashOf(facts).slice(0, 16),
    label: `${facts.cpu} ×${facts.cores}${usable}, ${facts.platform}, ${gpus}`,
    facts,
  };
}

let cached: Hardware | null = null;

/** This machine's hardware fingerprint (computed once per process). */
export function captureHardware(env: Environment): Hardware {
  cached ??= hardwareOf({
    cpu: env.cpu,
    cores: env.cores,
    usableCores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : null,
    platform: env.platform,
    gpus: nvidiaGpus(),
  });
  return cached;
}

/** A session's hardware: its recorded fingerprint, or one derived from its environment (older run folders). */
export function sessionHardware(session: { environment: Environment; hardware?: Hardware }): Hardware {
  return (
    session.hardware ??
    hardwareOf({
      cpu: session.environment.cpu,
      cores: session.environment.cores,
      usableCores: null,
      platform: session.environment.platform,
      gpus: [],
    })
  );
}
