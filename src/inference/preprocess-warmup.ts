import sharp, { type Sharp } from 'sharp';
import type { Manifest, TaskName } from '../bundle/manifest.js';
import type { LatencyModel } from '../controller/latency-model.js';
import type { Preprocessor } from '../preprocess/index.js';

/** Encoders of every accepted input format; each decoder's first use costs 100-200 ms here, so pay it at start-up. */
const ENCODERS: ReadonlyArray<(image: Sharp) => Sharp> = [
  (image) => image.jpeg(),
  (image) => image.png(),
  (image) => image.webp(),
  (image) => image.avif({ effort: 0 }),
  (image) => image.tiff(),
  (image) => image.gif(),
];

/** Warm samples per task fed to the latency model: enough for its preprocessing estimate to be trusted. */
const SAMPLES_PER_TASK = 4;

/**
 * Decodes a small synthetic image once in every accepted format (first-use cost of each decoder), then times a
 * few warm JPEG decodes through each task's preprocessing and feeds them to the latency model, so admission starts
 * with a preprocessing estimate; real traffic replaces it. Returns the number of samples recorded.
 */
export async function warmUpPreprocessing(preprocessor: Preprocessor, manifest: Readonly<Manifest>, latency: LatencyModel): Promise<number> {
  const tasks = Object.entries(manifest.tasks) as [TaskName, NonNullable<Manifest['tasks'][TaskName]>][];
  if (tasks.length === 0) return 0;
  const base = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 200 } } });
  const images = await Promise.all(ENCODERS.map((encode) => encode(base.clone()).toBuffer()));
  const [, first] = tasks[0]!;
  for (const bytes of images) await preprocessor.run({ kind: 'encoded', bytes }, first.preprocess, first.input);
  let samples = 0;
  for (const [task, spec] of tasks) {
    for (let i = 0; i < SAMPLES_PER_TASK; i++) {
      const warm = await preprocessor.run({ kind: 'encoded', bytes: images[0]! }, spec.preprocess, spec.input);
      latency.observePreprocess(task, warm.ms);
      samples++;
    }
  }
  return samples;
}
