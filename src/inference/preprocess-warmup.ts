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

/**
 * Decodes a small synthetic image in every accepted format through each task's preprocessing, twice, and feeds
 * the warm timings to the latency model so admission starts with a preprocessing estimate (online observations
 * replace it as real traffic arrives). Returns the number of warm samples recorded.
 */
export async function warmUpPreprocessing(preprocessor: Preprocessor, manifest: Readonly<Manifest>, latency: LatencyModel): Promise<number> {
  const base = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 200 } } });
  const images = await Promise.all(ENCODERS.map((encode) => encode(base.clone()).toBuffer()));
  let samples = 0;
  for (const [task, spec] of Object.entries(manifest.tasks) as [TaskName, NonNullable<Manifest['tasks'][TaskName]>][]) {
    for (const bytes of images) {
      await preprocessor.run({ kind: 'encoded', bytes }, spec.preprocess, spec.input);
      const warm = await preprocessor.run({ kind: 'encoded', bytes }, spec.preprocess, spec.input);
      latency.observePreprocess(task, warm.ms);
      samples++;
    }
  }
  return samples;
}
