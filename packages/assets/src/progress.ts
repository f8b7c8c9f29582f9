import cliProgress from 'cli-progress';
import type { WriteProgress } from './gguf-stream.ts';

/**
 * Progress of a model being generated, on stderr: a bar with MB/s and ETA on an interactive terminal,
 * otherwise (CI, redirected output) one line per 10 %.
 */
export function generationProgress(label: string, stream: NodeJS.WriteStream = process.stderr): WriteProgress {
  const started = Date.now();
  const mb = (b: number) => b / 1e6;
  if (stream.isTTY && !process.env.CI) {
    let bar: cliProgress.SingleBar | null = null;
    return (done, total) => {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} {bar} {percentage}% | {value}/{total} MB | {speed} MB/s | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.ceil(mb(total)), 0, { speed: '0' });
      }
      const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
      bar.update(Math.floor(mb(done)), { speed: (mb(done) / seconds).toFixed(0) });
      if (done >= total) bar.stop();
    };
  }
  let nextTenth = 1;
  return (done, total) => {
    const tenths = Math.floor((done / total) * 10);
    if (tenths < nextTenth) return;
    nextTenth = tenths + 1;
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    stream.write(`${label}: ${tenths * 10}% of ${mb(total).toFixed(0)} MB (${(mb(done) / seconds).toFixed(0)} MB/s)\n`);
  };
}
