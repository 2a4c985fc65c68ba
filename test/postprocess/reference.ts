/**
 * Straightforward reference versions of main-thread post-processing that the product computes a faster way:
 * the tests check the product against them bit for bit, and `npm run bench:postprocess` times both side by side.
 */
import type { Geometry } from '../../src/preprocess/geometry.js';
import { classColour } from '../../src/postprocess/colour.js';
import { resamplePlane } from '../../src/postprocess/resample.js';

/** Upsampled argmax by definition: every class plane resampled bilinearly, then compared (first class wins ties). */
export function referenceBilinearLabels(logits: Float32Array, classes: number, geometry: Geometry): Uint16Array {
  const { width, height } = geometry.source;
  const plane = geometry.target.width * geometry.target.height;
  const labels = new Uint16Array(width * height);
  const best = new Float32Array(width * height).fill(-Infinity);
  for (let c = 0; c < classes; c++) {
    const resampled = resamplePlane(logits, c * plane, geometry);
    for (let i = 0; i < resampled.length; i++) {
      if (resampled[i]! > best[i]!) {
        best[i] = resampled[i]!;
        labels[i] = c;
      }
    }
  }
  return labels;
}

/** The overlay blend by definition: each pixel's class colour computed and blended at 50 %, background kept. */
export function referenceBlend(photo: Uint8Array, labels: Uint16Array): Uint8Array {
  const out = new Uint8Array(photo.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const colour = classColour(label);
    for (let c = 0; c < 3; c++) {
      const base = photo[i * 3 + c]!;
      out[i * 3 + c] = label === 0 ? base : Math.round(base * 0.5 + colour[c]! * 0.5);
    }
  }
  return out;
}
