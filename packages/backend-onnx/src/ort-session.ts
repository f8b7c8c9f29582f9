import { createRequire } from 'node:module';
import { TrbenchError } from '@trbench/core';
import { env, type Tensor } from 'onnxruntime-node';

/** Execution providers the onnx backend can ask onnxruntime-node for. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, Tensor>, fetches: Record<string, Tensor | null>, options: object): Record<string, Tensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession; listSupportedBackends(): { name: string; bundled: boolean }[] };
  initOrt(): void;
}

// onnxruntime >= 1.29 collects telemetry on Linux when its environment is created: it matches the process
// command line against a std::regex, whose backtracking recurses once per character, so a long argument
// (`trbench generate --prompt <35 kB of text>`) overflows the main thread's stack and kills the process
// with SIGSEGV before any of our checks can run. trbench never sends telemetry anyway: switch it off
// before the first session initialises ORT (it reads the variable at that moment).
process.env.ORT_DISABLE_TELEMETRY = '1';

const require = createRequire(import.meta.url);
// onnxruntime-node's public `run` only wraps this synchronous native call in setImmediate + Promise;
// TargetModel.evaluate is synchronous, so the binding is used directly (pinned: onnxruntime-node 1.30.0).
const native = require('onnxruntime-node/dist/binding.js') as NativeBinding;
const NO_OPTIONS = {};

/** onnxruntime-node version string. */
export function ortVersion(): string {
  return `onnxruntime-node ${(env.versions as Record<string, string>).node ?? 'unknown'}`;
}

/** Providers this onnxruntime-node build knows, with whether their libraries ship in the package. */
export function listExecutionProviders(): { name: string; bundled: boolean }[] {
  return native.binding.listSupportedBackends();
}

/**
 * An ONNX Runtime session whose `run` is synchronous. Feeds and pre-allocated fetches are `Tensor`s over
 * caller-owned typed arrays: on the CPU provider ORT reads and writes those buffers in place.
 */
export class SyncSession {
  private session: NativeSession | null;

  private constructor(session: NativeSession) {
    this.session = session;
  }

  /** Loads a serialized model; errors name the provider and what it needs. */
  static create(model: Uint8Array, provider: ExecutionProvider, threads: number): SyncSession {
    native.initOrt();
    const known = listExecutionProviders();
    const entry = known.find((b) => b.name === provider);
    if (!entry) {
      throw new TrbenchError(
        `onnxruntime-node on ${process.platform}-${process.arch} has no ${provider} execution provider (available: ${known.map((b) => b.name).join(', ')})`,
      );
    }
    const options = {
      executionProviders: [provider === 'cuda' ? { name: 'cuda', deviceId: 0 } : provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    const session = new native.binding.InferenceSession();
    try {
      session.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
    } catch (err) {
      const message = (err as Error).message;
      const hint =
        provider === 'cuda'
          ? ' (the CUDA provider libraries are not downloaded at install time, by design: allowScripts is false for onnxruntime-node; they also need CUDA 12 and cuDNN 9). Use --device cpu'
          : provider === 'webgpu'
            ? ' (WebGPU needs libvulkan and a Vulkan driver with a usable adapter). Use --device cpu'
            : '';
      throw new TrbenchError(`onnxruntime could not create a session on the ${provider} execution provider: ${message}${hint}`, {
        cause: err,
      });
    }
    return new SyncSession(session);
  }

  /** Runs the model; fetches given as tensors are filled in place, `null` ones are returned. */
  run(feeds: Record<string, Tensor>, fetches: Record<string, Tensor | null>): Record<string, Tensor> {
    if (!this.session) throw new Error('session used after dispose');
    return this.session.run(feeds, fetches, NO_OPTIONS);
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
  }
}
