// The offline GPU kit: `npm run kit` builds it (build/), kit/run.sh runs the steps in on-node/ on the GPU machine.
export { type BuildKitOptions, buildKit, KIT_MAX_BYTES, type KitManifest } from './build/build-kit.ts';
export { writeKitReport } from './on-node/kit-report.ts';
